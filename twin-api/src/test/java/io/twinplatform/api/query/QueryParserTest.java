package io.twinplatform.api.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class QueryParserTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String WHERE = "SELECT * FROM devices WHERE ";

    // ---- helpers

    private static Condition where(String condition) {
        return TwinQuery.parse(WHERE + condition).where();
    }

    /** A condition as an S-expression, e.g. {@code (AND (= tags.a 1) (NOT (IS_NULL tags.b)))}. */
    private static String show(Condition condition) {
        if (condition instanceof Condition.All) {
            return "ALL";
        }
        if (condition instanceof Condition.And and) {
            return "(AND " + show(and.left()) + " " + show(and.right()) + ")";
        }
        if (condition instanceof Condition.Or or) {
            return "(OR " + show(or.left()) + " " + show(or.right()) + ")";
        }
        if (condition instanceof Condition.Not not) {
            return "(NOT " + show(not.operand()) + ")";
        }
        if (condition instanceof Condition.Comparison c) {
            return "(" + c.operator().symbol() + " " + c.field() + " " + c.literal() + ")";
        }
        if (condition instanceof Condition.In in) {
            return "(" + (in.negated() ? "NIN " : "IN ") + in.field() + " " + in.literals() + ")";
        }
        if (condition instanceof Condition.TypeTest t) {
            return "(" + t.function() + " " + t.field() + ")";
        }
        Condition.StringTest s = (Condition.StringTest) condition;
        return "(" + s.function() + " " + s.field() + " '" + s.argument() + "')";
    }

    private static String showWhere(String condition) {
        return show(where(condition));
    }

    private static JsonNode literal(String literal) {
        Condition condition = where("tags.a = " + literal);
        assertThat(condition).isInstanceOf(Condition.Comparison.class);
        return ((Condition.Comparison) condition).literal();
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static List<String> keys(TwinQuery query) {
        return query.select().stream().map(SelectItem::key).toList();
    }

    private static TwinError refusal(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).as("what the parser threw").isInstanceOf(TwinException.class);
        TwinError error = ((TwinException) thrown).error();
        assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
        return error;
    }

    /** Parses {@code query}, expects a refusal with {@code code} at {@code position}, and returns it. */
    private static TwinError refused(String query, String code, int position) {
        TwinError error = refusal(() -> TwinQuery.parse(query));
        assertThat(error.code()).as("code of the refusal of %s", query).isEqualTo(code);
        assertThat(error.path()).as("position of the refusal of %s", query).isEqualTo("@" + position);
        return error;
    }

    private static TwinError refusedTarget(String target, String code, int position) {
        TwinError error = refusal(() -> TwinQuery.parseTargetCondition(target));
        assertThat(error.code()).as("code of the refusal of %s", target).isEqualTo(code);
        assertThat(error.path()).as("position of the refusal of %s", target).isEqualTo("@" + position);
        return error;
    }

    /** The offset of {@code token} in {@code query}, which must contain it exactly once. */
    private static int at(String query, String token) {
        int first = query.indexOf(token);
        assertThat(first).as("%s in %s", token, query).isNotNegative();
        assertThat(query.indexOf(token, first + 1)).as("%s only once in %s", token, query).isNegative();
        return first;
    }

    // ---- the SELECT list

    @Nested
    class SelectList {

        @Test
        void selectStarSelectsWholeTwinsOfDevicesWithoutConditionGroupingOrOrder() {
            String text = "SELECT * FROM devices";

            TwinQuery query = TwinQuery.parse(text);

            assertThat(query.text()).isEqualTo(text);
            assertThat(query.select()).isEmpty();
            assertThat(query.selectsWholeTwins()).isTrue();
            assertThat(query.isAggregating()).isFalse();
            assertThat(query.top()).isNull();
            assertThat(query.source()).isEqualTo(Source.DEVICES);
            assertThat(query.where()).isInstanceOf(Condition.All.class);
            assertThat(query.groupBy()).isEmpty();
            assertThat(query.orderBy()).isEmpty();
        }

        @Test
        void keysAFieldByItsLastSegmentUnlessItHasAnAlias() {
            TwinQuery query = TwinQuery.parse("SELECT deviceId, tags.location.building, "
                    + "properties.reported.temperature AS temp FROM devices");

            assertThat(keys(query)).containsExactly("deviceId", "building", "temp");
            assertThat(query.select()).allSatisfy(item -> {
                assertThat(item.isAggregate()).isFalse();
                assertThat(item.aggregate()).isNull();
            });
            assertThat(query.select().get(0).field().segments()).containsExactly("deviceId");
            assertThat(query.select().get(1).field().segments()).containsExactly("tags", "location", "building");
            assertThat(query.select().get(2).field().segments())
                    .containsExactly("properties", "reported", "temperature");
            assertThat(query.selectsWholeTwins()).isFalse();
            assertThat(query.isAggregating()).isFalse();
        }

        @Test
        void keysUnnamedAggregatesDollarOneDollarTwoInOrderSkippingNamedOnes() {
            TwinQuery query = TwinQuery.parse("SELECT COUNT(), AVG(properties.reported.temp) AS avgTemp, "
                    + "SUM(properties.reported.energy), MIN(tags.floor), MAX(tags.floor) AS highest FROM devices");

            assertThat(keys(query)).containsExactly("$1", "avgTemp", "$2", "$3", "highest");
            assertThat(query.select()).allSatisfy(item -> {
                assertThat(item.isAggregate()).isTrue();
                assertThat(item.field()).isNull();
            });
            assertThat(query.select().stream().map(item -> item.aggregate().toString()))
                    .containsExactly("COUNT()", "AVG(properties.reported.temp)", "SUM(properties.reported.energy)",
                            "MIN(tags.floor)", "MAX(tags.floor)");
            assertThat(query.select().get(0).aggregate().field()).isNull();
            assertThat(query.isAggregating()).isTrue();
        }

        @Test
        void readsAggregateNamesInAnyCase() {
            TwinQuery query = TwinQuery.parse("select count(), Avg(tags.x), sUm(tags.x) as s from devices");

            assertThat(query.select().stream().map(item -> item.aggregate().function()))
                    .containsExactly(Aggregate.Function.COUNT, Aggregate.Function.AVG, Aggregate.Function.SUM);
            assertThat(keys(query)).containsExactly("$1", "$2", "s");
        }

        @Test
        void recordsWhereEachFieldAndAggregateStarts() {
            String text = "SELECT deviceId, MAX(tags.floor) FROM devices WHERE properties.reported.t > 1 "
                    + "GROUP BY [[deviceId]]";

            TwinQuery query = TwinQuery.parse(text);

            assertThat(query.select().get(0).field().position()).isEqualTo(at(text, "deviceId,"));
            assertThat(query.select().get(1).aggregate().position()).isEqualTo(at(text, "MAX"));
            assertThat(query.select().get(1).aggregate().field().position()).isEqualTo(at(text, "tags.floor"));
            assertThat(((Condition.Comparison) query.where()).field().position())
                    .isEqualTo(at(text, "properties"));
        }

        @Test
        void acceptsAKeywordAsAnAliasWhenEscaped() {
            TwinQuery query = TwinQuery.parse("SELECT tags.a AS [[order]], tags.b AS [[a b]] FROM devices");

            assertThat(keys(query)).containsExactly("order", "a b");
        }

        @Test
        void acceptsTheSameFieldTwiceUnderDifferentKeys() {
            TwinQuery query = TwinQuery.parse("SELECT tags.a, tags.a AS again FROM devices");

            assertThat(keys(query)).containsExactly("a", "again");
        }

        @ParameterizedTest
        @CsvSource({
                "SELECT TOP 10 * FROM devices, 10",
                "select top 1 deviceId from devices, 1",
                "SELECT TOP 2147483647 * FROM devices, 2147483647"
        })
        void readsTop(String text, int top) {
            assertThat(TwinQuery.parse(text).top()).isEqualTo(top);
        }

        @Test
        void readsTopBeforeAnAggregateList() {
            TwinQuery query = TwinQuery.parse("SELECT TOP 5 tags.city, COUNT() FROM devices GROUP BY tags.city");

            assertThat(query.top()).isEqualTo(5);
            assertThat(keys(query)).containsExactly("city", "$1");
        }
    }

    // ---- FROM

    @Nested
    class Sources {

        @ParameterizedTest
        @CsvSource({
                "SELECT * FROM devices, DEVICES",
                "select * from DEVICES, DEVICES",
                "SELECT * FROM devices.modules, MODULES",
                "SELECT * FROM Devices.Modules, MODULES",
                "SELECT * FROM devices . modules, MODULES"
        })
        void readsBothSourcesInAnyCase(String text, Source source) {
            assertThat(TwinQuery.parse(text).source()).isEqualTo(source);
        }

        @Test
        void namesTheSourcesAsWritten() {
            assertThat(Source.DEVICES.text()).isEqualTo("devices");
            assertThat(Source.MODULES.text()).isEqualTo("devices.modules");
        }
    }

    // ---- WHERE

    @Nested
    class Conditions {

        @ParameterizedTest
        @CsvSource({
                "=,  EQ",
                "!=, NE",
                "<>, NE",
                "<,  LT",
                "<=, LE",
                ">,  GT",
                ">=, GE"
        })
        void readsEveryComparisonOperatorWithOrWithoutSpaces(String symbol, Condition.Operator operator) {
            for (String condition : List.of("tags.a " + symbol + " 1", "tags.a" + symbol + "1")) {
                Condition parsed = where(condition);

                assertThat(parsed).as(condition).isInstanceOf(Condition.Comparison.class);
                Condition.Comparison comparison = (Condition.Comparison) parsed;
                assertThat(comparison.field().segments()).containsExactly("tags", "a");
                assertThat(comparison.operator()).isEqualTo(operator);
                assertThat(comparison.literal().intValue()).isEqualTo(1);
            }
        }

        @Test
        void bindsNotTighterThanAndAndAndTighterThanOr() {
            assertThat(showWhere("tags.a = 1 OR tags.b = 2 AND tags.c = 3"))
                    .isEqualTo("(OR (= tags.a 1) (AND (= tags.b 2) (= tags.c 3)))");
            assertThat(showWhere("tags.a = 1 AND tags.b = 2 OR tags.c = 3"))
                    .isEqualTo("(OR (AND (= tags.a 1) (= tags.b 2)) (= tags.c 3))");
            assertThat(showWhere("NOT tags.a = 1 AND tags.b = 2"))
                    .isEqualTo("(AND (NOT (= tags.a 1)) (= tags.b 2))");
            assertThat(showWhere("NOT tags.a = 1 OR NOT tags.b = 2"))
                    .isEqualTo("(OR (NOT (= tags.a 1)) (NOT (= tags.b 2)))");
            assertThat(showWhere("NOT NOT tags.a = 1")).isEqualTo("(NOT (NOT (= tags.a 1)))");
        }

        @Test
        void groupsAndAndOrFromTheLeft() {
            assertThat(showWhere("tags.a = 1 AND tags.b = 2 AND tags.c = 3"))
                    .isEqualTo("(AND (AND (= tags.a 1) (= tags.b 2)) (= tags.c 3))");
            assertThat(showWhere("tags.a = 1 OR tags.b = 2 OR tags.c = 3"))
                    .isEqualTo("(OR (OR (= tags.a 1) (= tags.b 2)) (= tags.c 3))");
        }

        @Test
        void letsParenthesesOverridePrecedence() {
            assertThat(showWhere("(tags.a = 1 OR tags.b = 2) AND tags.c = 3"))
                    .isEqualTo("(AND (OR (= tags.a 1) (= tags.b 2)) (= tags.c 3))");
            assertThat(showWhere("NOT (tags.a = 1 AND tags.b = 2)"))
                    .isEqualTo("(NOT (AND (= tags.a 1) (= tags.b 2)))");
            assertThat(showWhere("((tags.a = 1))")).isEqualTo("(= tags.a 1)");
            assertThat(showWhere("tags.a = 1 AND (tags.b = 2 OR (tags.c = 3 AND NOT (tags.d = 4)))"))
                    .isEqualTo("(AND (= tags.a 1) (OR (= tags.b 2) (AND (= tags.c 3) (NOT (= tags.d 4)))))");
        }

        @Test
        void readsLogicalKeywordsInAnyCase() {
            assertThat(showWhere("not tags.a = 1 and tags.b = 2 Or tags.c = 3"))
                    .isEqualTo("(OR (AND (NOT (= tags.a 1)) (= tags.b 2)) (= tags.c 3))");
        }

        @Test
        void readsInAndNinListsOfMixedLiterals() {
            assertThat(showWhere("tags.a IN ['x', 1, 2.5, true, null]"))
                    .isEqualTo("(IN tags.a [\"x\", 1, 2.5, true, null])");
            assertThat(showWhere("tags.a NIN ['x']")).isEqualTo("(NIN tags.a [\"x\"])");
            assertThat(showWhere("tags.a in [1] AND tags.b nin [2]"))
                    .isEqualTo("(AND (IN tags.a [1]) (NIN tags.b [2]))");
        }

        @Test
        void readsEmptyInAndNinLists() {
            assertThat(showWhere("tags.a IN []")).isEqualTo("(IN tags.a [])");
            assertThat(showWhere("tags.a NIN [ ]")).isEqualTo("(NIN tags.a [])");
        }

        @ParameterizedTest
        @ValueSource(strings = {"IS_DEFINED", "IS_NULL", "IS_STRING", "IS_NUMBER", "IS_BOOL", "IS_OBJECT", "IS_ARRAY",
                "IS_PRIMITIVE"})
        void readsEveryTypeTestInAnyCase(String function) {
            for (String name : List.of(function, function.toLowerCase(), capitalized(function))) {
                Condition parsed = where(name + "(properties.reported.mode)");

                assertThat(parsed).as(name).isInstanceOf(Condition.TypeTest.class);
                Condition.TypeTest test = (Condition.TypeTest) parsed;
                assertThat(test.function()).isEqualTo(Condition.TypeFunction.valueOf(function));
                assertThat(test.field().segments()).containsExactly("properties", "reported", "mode");
            }
        }

        @ParameterizedTest
        @ValueSource(strings = {"STARTS_WITH", "ENDS_WITH", "CONTAINS"})
        void readsEveryStringTestInAnyCase(String function) {
            for (String name : List.of(function, function.toLowerCase(), capitalized(function))) {
                Condition parsed = where(name + "(deviceId, 'it''s-')");

                assertThat(parsed).as(name).isInstanceOf(Condition.StringTest.class);
                Condition.StringTest test = (Condition.StringTest) parsed;
                assertThat(test.function()).isEqualTo(Condition.StringFunction.valueOf(function));
                assertThat(test.field().segments()).containsExactly("deviceId");
                assertThat(test.argument()).isEqualTo("it's-");
            }
        }

        @Test
        void combinesFunctionsWithNotAndOtherConditions() {
            assertThat(showWhere("NOT IS_DEFINED(tags.a) OR STARTS_WITH(tags.b, 'x') AND tags.c = 1"))
                    .isEqualTo("(OR (NOT (IS_DEFINED tags.a)) (AND (STARTS_WITH tags.b 'x') (= tags.c 1)))");
        }

        @Test
        void readsTheVirtualInSyncField() {
            Condition.Comparison comparison = (Condition.Comparison) where("inSync = true");

            assertThat(comparison.field().isInSync()).isTrue();
            assertThat(comparison.literal()).isEqualTo(json("true"));
        }

        private String capitalized(String name) {
            return name.charAt(0) + name.substring(1).toLowerCase();
        }
    }

    // ---- literals

    @Nested
    class Literals {

        @Test
        void readsSingleQuotedStringsWithDoubledQuotes() {
            assertThat(literal("'it''s'")).isEqualTo(json("\"it's\""));
            assertThat(literal("''")).isEqualTo(json("\"\""));
            assertThat(literal("''''")).isEqualTo(json("\"'\""));
            assertThat(literal("'say \"hi\"'")).isEqualTo(json("\"say \\\"hi\\\"\""));
        }

        @Test
        void readsDoubleQuotedStringsWithDoubledQuotes() {
            assertThat(literal("\"it's\"")).isEqualTo(json("\"it's\""));
            assertThat(literal("\"say \"\"hi\"\"\"")).isEqualTo(json("\"say \\\"hi\\\"\""));
            assertThat(literal("\"\"")).isEqualTo(json("\"\""));
        }

        @Test
        void keepsKeywordsSymbolsAndUnicodeInsideStringsAsText() {
            assertThat(literal("'a OR b = ''c'' -- [[d]] ;'")).isEqualTo(json("\"a OR b = 'c' -- [[d]] ;\""));
            assertThat(literal("'Zürich \uD83D\uDE00 \u2028'").textValue()).isEqualTo("Zürich \uD83D\uDE00 \u2028");
        }

        @ParameterizedTest
        @CsvSource({
                "0, 0",
                "42, 42",
                "-5, -5",
                "2.5, 2.5",
                "-0.125, -0.125",
                "1e3, 1000",
                "1E3, 1000",
                "1.5E-3, 0.0015",
                "-2.5e+2, -250",
                "9223372036854775808, 9223372036854775808",
                "1.7976931348623157e308, 1.7976931348623157e308"
        })
        void readsNegativeDecimalAndExponentNumbers(String written, BigDecimal value) {
            JsonNode literal = literal(written);

            assertThat(literal.isNumber()).as(written).isTrue();
            assertThat(literal.decimalValue()).as(written).isEqualByComparingTo(value);
        }

        @Test
        void readsANegativeNumberWrittenRightAfterAnOperator() {
            assertThat(showWhere("tags.a>-1")).isEqualTo("(> tags.a -1)");
        }

        @ParameterizedTest
        @CsvSource({
                "true, true", "TRUE, true", "True, true", "tRuE, true",
                "false, false", "FALSE, false", "False, false",
                "null, null", "NULL, null", "Null, null"
        })
        void readsTrueFalseAndNullInAnyCase(String written, String value) {
            assertThat(literal(written)).isEqualTo(json(value));
            assertThat(showWhere("tags.a != " + written)).isEqualTo("(!= tags.a " + value + ")");
        }
    }

    // ---- field names

    @Nested
    class FieldNames {

        @Test
        void escapesAKeywordWithDoubleBrackets() {
            Condition.Comparison comparison = (Condition.Comparison) where("tags.[[select]] = 1");

            assertThat(comparison.field().segments()).containsExactly("tags", "select");
        }

        @Test
        void escapesNamesWithSpacesDotsAndSymbolsAsOneSegment() {
            Condition.Comparison comparison = (Condition.Comparison) where("[[tags]].[[a b.c-d]] = 1");

            assertThat(comparison.field().segments()).containsExactly("tags", "a b.c-d");
            assertThat(comparison.field().key()).isEqualTo("a b.c-d");
        }

        @Test
        void readsDollarNamesWithOrWithoutEscaping() {
            assertThat(((Condition.TypeTest) where("IS_DEFINED(properties.reported.[[$metadata]])")).field()
                    .segments()).containsExactly("properties", "reported", "$metadata");
            assertThat(((Condition.TypeTest) where("IS_DEFINED(properties.desired.$version)")).field()
                    .segments()).containsExactly("properties", "desired", "$version");
        }

        @Test
        void acceptsKeywordsUnescapedAfterADot() {
            Condition.Comparison comparison = (Condition.Comparison) where("tags.from.where.order.by = 1");

            assertThat(comparison.field().segments()).containsExactly("tags", "from", "where", "order", "by");
        }

        @Test
        void acceptsKeywordsAfterADotInSelectGroupByAndOrderBy() {
            TwinQuery query = TwinQuery.parse("SELECT tags.select, COUNT() AS n FROM devices "
                    + "GROUP BY tags.select ORDER BY tags.select DESC");

            assertThat(keys(query)).containsExactly("select", "n");
            assertThat(query.groupBy().get(0).segments()).containsExactly("tags", "select");
            assertThat(query.orderBy().get(0).field().segments()).containsExactly("tags", "select");
        }

        @ParameterizedTest
        @ValueSource(strings = {"deviceId", "moduleId", "etag", "version", "status", "statusReason",
                "statusUpdatedTime", "connectionState", "lastActivityTime", "tags.x", "properties.desired.x",
                "properties.reported.x", "configurations.x", "delta.x", "inSync"})
        void acceptsEveryTopLevelFieldOfATwin(String field) {
            assertThat(where("IS_DEFINED(" + field + ")")).isInstanceOf(Condition.TypeTest.class);
        }
    }

    // ---- GROUP BY and ORDER BY

    @Nested
    class GroupingAndOrdering {

        @Test
        void groupsBySeveralFields() {
            TwinQuery query = TwinQuery.parse("SELECT tags.city, tags.floor, COUNT() AS n, AVG(properties.reported.t) "
                    + "FROM devices WHERE tags.kind = 'sensor' GROUP BY tags.city, tags.floor");

            assertThat(query.groupBy()).extracting(Field::toString).containsExactly("tags.city", "tags.floor");
            assertThat(keys(query)).containsExactly("city", "floor", "n", "$1");
            assertThat(query.isAggregating()).isTrue();
            assertThat(show(query.where())).isEqualTo("(= tags.kind \"sensor\")");
        }

        @Test
        void ordersAscendingUnlessDescending() {
            TwinQuery query = TwinQuery.parse("SELECT * FROM devices ORDER BY tags.a, tags.b ASC, "
                    + "lastActivityTime DESC, deviceId desc");

            assertThat(query.orderBy()).extracting(key -> key.field().toString())
                    .containsExactly("tags.a", "tags.b", "lastActivityTime", "deviceId");
            assertThat(query.orderBy()).extracting(OrderKey::descending).containsExactly(false, false, true, true);
            assertThat(query.orderBy()).allSatisfy(key -> assertThat(key.aggregate()).isNull());
        }

        @Test
        void ordersAGroupedQueryByAnAggregateAndAGroupedField() {
            TwinQuery query = TwinQuery.parse("SELECT tags.city, COUNT() AS n FROM devices GROUP BY tags.city "
                    + "ORDER BY COUNT() DESC, MAX(properties.reported.t), tags.city");

            assertThat(query.orderBy()).hasSize(3);
            OrderKey byCount = query.orderBy().get(0);
            assertThat(byCount.aggregate().function()).isEqualTo(Aggregate.Function.COUNT);
            assertThat(byCount.field()).isNull();
            assertThat(byCount.descending()).isTrue();
            OrderKey byMax = query.orderBy().get(1);
            assertThat(byMax.aggregate().toString()).isEqualTo("MAX(properties.reported.t)");
            assertThat(byMax.descending()).isFalse();
            assertThat(query.orderBy().get(2).field().toString()).isEqualTo("tags.city");
        }

        @Test
        void ordersAnUngroupedAggregateQueryByAnAggregate() {
            TwinQuery query = TwinQuery.parse("SELECT COUNT(), MAX(tags.x) FROM devices ORDER BY MAX(tags.x)");

            assertThat(query.orderBy().get(0).aggregate().sameAs(query.select().get(1).aggregate())).isTrue();
        }

        @Test
        void readsEveryClauseInOneQuery() {
            TwinQuery query = TwinQuery.parse("SELECT TOP 3 tags.city AS city, COUNT() FROM devices.modules "
                    + "WHERE properties.reported.online = true GROUP BY tags.city ORDER BY COUNT() DESC");

            assertThat(query.top()).isEqualTo(3);
            assertThat(keys(query)).containsExactly("city", "$1");
            assertThat(query.source()).isEqualTo(Source.MODULES);
            assertThat(show(query.where())).isEqualTo("(= properties.reported.online true)");
            assertThat(query.groupBy()).extracting(Field::toString).containsExactly("tags.city");
            assertThat(query.orderBy()).extracting(OrderKey::descending).containsExactly(true);
        }
    }

    // ---- target conditions

    @Nested
    class TargetConditions {

        @ParameterizedTest
        @ValueSource(strings = {"*", " * ", "\t*\n"})
        void readsAStarAsEveryDeviceTwin(String target) {
            TwinQuery query = TwinQuery.parseTargetCondition(target);

            assertThat(query.where()).isInstanceOf(Condition.All.class);
            assertThat(query.source()).isEqualTo(Source.DEVICES);
            assertThat(query.selectsWholeTwins()).isTrue();
            assertThat(query.text()).isEqualTo(target);
        }

        @Test
        void readsABareConditionOverDeviceTwins() {
            TwinQuery query = TwinQuery.parseTargetCondition("tags.environment = 'prod' AND NOT IS_NULL(tags.x)");

            assertThat(show(query.where())).isEqualTo("(AND (= tags.environment \"prod\") (NOT (IS_NULL tags.x)))");
            assertThat(query.source()).isEqualTo(Source.DEVICES);
            assertThat(query.selectsWholeTwins()).isTrue();
            assertThat(query.top()).isNull();
            assertThat(query.groupBy()).isEmpty();
            assertThat(query.orderBy()).isEmpty();
        }

        @Test
        void readsFromModulesWhere() {
            TwinQuery query = TwinQuery.parseTargetCondition("from devices.modules where tags.role = 'edge'");

            assertThat(query.source()).isEqualTo(Source.MODULES);
            assertThat(show(query.where())).isEqualTo("(= tags.role \"edge\")");
        }

        @Test
        void readsFromWithoutWhereAsEveryTwinOfThatSource() {
            TwinQuery modules = TwinQuery.parseTargetCondition("FROM devices.modules");
            TwinQuery devices = TwinQuery.parseTargetCondition("FROM devices");

            assertThat(modules.source()).isEqualTo(Source.MODULES);
            assertThat(modules.where()).isInstanceOf(Condition.All.class);
            assertThat(devices.source()).isEqualTo(Source.DEVICES);
            assertThat(devices.where()).isInstanceOf(Condition.All.class);
        }

        @Test
        void readsAWholeSelectStarQuery() {
            TwinQuery query = TwinQuery.parseTargetCondition("SELECT * FROM devices.modules WHERE tags.a IN [1, 2]");

            assertThat(query.source()).isEqualTo(Source.MODULES);
            assertThat(show(query.where())).isEqualTo("(IN tags.a [1, 2])");
            assertThat(query.selectsWholeTwins()).isTrue();
        }

        @Test
        void parsesTheSameConditionAsTheWholeQueryWould() {
            String condition = "(tags.a = 1 OR tags.b <> 'x') AND NOT CONTAINS(deviceId, 'test')";

            assertThat(show(TwinQuery.parseTargetCondition(condition).where()))
                    .isEqualTo(show(where(condition)));
        }
    }

    // ---- refusals

    @Nested
    class Refusals {

        @ParameterizedTest
        @ValueSource(strings = {"", " ", "  \n\t "})
        void refusesAnEmptyQueryAtTheStart(String text) {
            TwinError error = refused(text, "emptyQuery", 0);
            assertThat(error.detail()).contains("empty");
            refusedTarget(text, "emptyQuery", 0);
        }

        @Test
        void refusesANullQueryAsEmpty() {
            refused(null, "emptyQuery", 0);
            refusedTarget(null, "emptyQuery", 0);
        }

        @Test
        void refusesAFieldWithAnUnknownRoot() {
            String text = "SELECT * FROM devices WHERE foo.bar = 1";

            TwinError error = refused(text, "unknownField", at(text, "foo"));

            assertThat(error.detail()).contains("'foo'").contains("tags").contains("properties");
        }

        @Test
        void matchesRootsWhateverTheirCaseAsAzureDoesAndKeepsTheCaseBelowThem() throws Exception {
            TwinQuery query = TwinQuery.parse("SELECT DeviceID, LastActivityTime, Tags.Site FROM devices"
                    + " WHERE ConnectionState = 'Connected' AND PROPERTIES.reported.Temp > 1 AND INSYNC = true");

            assertThat(query.select()).extracting(item -> item.field().toString())
                    .containsExactly("deviceId", "lastActivityTime", "tags.Site");
            assertThat(keys(query)).containsExactly("deviceId", "lastActivityTime", "Site");
            ObjectMapper json = new ObjectMapper();
            assertThat(query.matches(json.readTree("{\"deviceId\":\"d\",\"connectionState\":\"Connected\","
                    + "\"properties\":{\"reported\":{\"Temp\":2}},\"delta\":{}}"))).isTrue();
            assertThat(query.matches(json.readTree("{\"deviceId\":\"d\",\"connectionState\":\"Connected\","
                    + "\"properties\":{\"reported\":{\"temp\":2}},\"delta\":{}}"))).as("Temp is not temp").isFalse();
        }

        @Test
        void refusesAnUnknownRootInTheSelectList() {
            String text = "SELECT deviceId, devicename FROM devices";

            refused(text, "unknownField", at(text, "devicename"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"properties.x = 1", "properties = 1", "properties.Desired.x = 1",
                "IS_DEFINED(properties)"})
        void refusesPropertiesNotFollowedByDesiredOrReported(String condition) {
            String text = WHERE + condition;

            TwinError error = refused(text, "unknownField", at(text, "properties"));

            assertThat(error.detail()).contains("desired").contains("reported");
        }

        @Test
        void refusesFieldsBelowInSync() {
            String text = WHERE + "inSync.x = true";

            refused(text, "unknownField", at(text, "inSync"));
        }

        @Test
        void refusesAKeywordWhereAFieldBelongs() {
            String text = "SELECT deviceId, FROM devices";

            TwinError error = refused(text, "invalidQuery", at(text, "FROM"));

            assertThat(error.detail()).contains("expected a field name").contains("found 'FROM'");
        }

        @Test
        void refusesAKeywordAsAFieldInACondition() {
            String text = WHERE + "tags.a = 1 AND order = 2";

            TwinError error = refused(text, "invalidQuery", at(text, "order"));

            assertThat(error.detail()).contains("expected a field name").contains("found 'order'");
        }

        @Test
        void refusesAKeywordAsAnAliasWithoutBrackets() {
            String text = "SELECT tags.a AS select FROM devices";

            TwinError error = refused(text, "invalidQuery", at(text, "select"));

            assertThat(error.detail()).contains("expected a name after AS");
        }

        @Test
        void refusesAQueryWithoutFrom() {
            String text = "SELECT * WHERE tags.a = 1";

            TwinError error = refused(text, "invalidQuery", at(text, "WHERE"));

            assertThat(error.detail()).contains("expected FROM").contains("found 'WHERE'");
        }

        @Test
        void refusesAQueryThatEndsBeforeFrom() {
            String text = "SELECT deviceId";

            TwinError error = refused(text, "invalidQuery", text.length());

            assertThat(error.detail()).contains("expected FROM").contains("the end of the query");
        }

        @Test
        void refusesAQueryThatDoesNotStartWithSelect() {
            String text = "FROM devices";

            TwinError error = refused(text, "invalidQuery", 0);

            assertThat(error.detail()).contains("expected SELECT");
        }

        @Test
        void refusesAnUnknownSource() {
            String text = "SELECT * FROM twins";

            TwinError error = refused(text, "invalidQuery", at(text, "twins"));

            assertThat(error.detail()).contains("expected devices or devices.modules");
        }

        @Test
        void refusesAnUnknownCollectionBelowDevices() {
            String text = "SELECT * FROM devices.jobs";

            TwinError error = refused(text, "invalidQuery", at(text, "jobs"));

            assertThat(error.detail()).contains("expected modules");
        }

        @Test
        void refusesASourceEndingInADot() {
            String text = "SELECT * FROM devices.";

            TwinError error = refused(text, "invalidQuery", text.length());

            assertThat(error.detail()).contains("expected modules").contains("the end of the query");
        }

        @Test
        void refusesTrailingGarbageAfterTheSource() {
            String text = "SELECT * FROM devices LIMIT 5";

            TwinError error = refused(text, "invalidQuery", at(text, "LIMIT"));

            assertThat(error.detail()).contains("expected").contains("the end of the query").contains("found 'LIMIT'");
        }

        @Test
        void refusesAnUnbalancedClosingParenthesis() {
            String text = WHERE + "tags.a = 1)";

            TwinError error = refused(text, "invalidQuery", at(text, ")"));

            assertThat(error.detail()).contains("found ')'");
        }

        @Test
        void refusesTrailingGarbageAfterOrderBy() {
            String text = "SELECT * FROM devices ORDER BY deviceId LIMIT 5";

            TwinError error = refused(text, "invalidQuery", at(text, "LIMIT"));

            assertThat(error.detail()).contains("the end of the query").contains("found 'LIMIT'");
        }

        /**
         * After a WHERE condition, a query goes on with AND, OR, GROUP BY, ORDER BY or ends; the refusal should say so
         * rather than offer a second WHERE.
         */
        @Test
        void refusesTwoConditionsWithoutAndOrOrNamingAndAndOr() {
            String text = WHERE + "tags.a = 1 tags.b = 2";

            TwinError error = refused(text, "invalidQuery", at(text, "tags.b"));

            assertThat(error.detail()).contains("expected").contains("AND").contains("found 'tags'");
            assertThat(error.detail()).doesNotContain("expected WHERE");
        }

        @ParameterizedTest
        @ValueSource(strings = {"'abc", "\"abc", "'it''s", "'"})
        void refusesAnUnclosedStringAtItsOpeningQuote(String literal) {
            String text = WHERE + "tags.a = " + literal;

            TwinError error = refused(text, "invalidQuery", WHERE.length() + "tags.a = ".length());

            assertThat(error.detail()).contains("expected " + literal.charAt(0) + " to close the string");
        }

        @Test
        void refusesAnUnclosedEscapedNameAtItsOpeningBrackets() {
            String text = WHERE + "tags.[[abc = 1";

            TwinError error = refused(text, "invalidQuery", at(text, "[["));

            assertThat(error.detail()).contains("expected ]]");
        }

        @Test
        void refusesAnEmptyEscapedName() {
            String text = WHERE + "tags.[[]] = 1";

            TwinError error = refused(text, "invalidQuery", at(text, "[["));

            assertThat(error.detail()).contains("expected a name between [[ and ]]");
        }

        @ParameterizedTest
        @ValueSource(strings = {";", "#", "&", "{", "é", "!", "\u00A0", "\uD83D\uDE00"})
        void refusesAnUnexpectedCharacterWhereItStands(String character) {
            String text = WHERE + "tags.a = 1 " + character + " tags.b = 2";

            TwinError error = refused(text, "invalidQuery", WHERE.length() + "tags.a = 1 ".length());

            assertThat(error.detail()).contains("unexpected character");
        }

        @Test
        void refusesANonAsciiLetterInsideAName() {
            String text = WHERE + "tags.café = 1";

            refused(text, "invalidQuery", at(text, "é"));
        }

        @ParameterizedTest
        @CsvSource({"<, true", "<=, NULL", ">, false", ">=, null"})
        void refusesAnOrderingComparisonWithABooleanOrNull(String operator, String literal) {
            String text = WHERE + "tags.a " + operator + " " + literal;

            TwinError error = refused(text, "invalidQuery", WHERE.length() + ("tags.a " + operator + " ").length());

            assertThat(error.detail()).contains("expected a number or a string after " + operator)
                    .contains("found '" + literal + "'");
        }

        @Test
        void acceptsEqualityWithABooleanOrNull() {
            assertThat(showWhere("tags.a = true AND tags.b != null AND tags.c <> FALSE"))
                    .isEqualTo("(AND (AND (= tags.a true) (!= tags.b null)) (!= tags.c false))");
        }

        @Test
        void refusesAComparisonWithoutAnOperator() {
            String text = WHERE + "tags.a";

            TwinError error = refused(text, "invalidQuery", text.length());

            assertThat(error.detail()).contains("expected a comparison").contains("after tags.a");
        }

        @Test
        void refusesAComparisonWithoutALiteral() {
            String text = WHERE + "tags.a = tags.b";

            TwinError error = refused(text, "invalidQuery", at(text, "tags.b"));

            assertThat(error.detail()).contains("expected a string, number, true, false or null");
        }

        @Test
        void refusesAnUnclosedParenthesis() {
            String text = WHERE + "(tags.a = 1";

            TwinError error = refused(text, "invalidQuery", text.length());

            assertThat(error.detail()).contains("expected ')'");
        }

        @Test
        void refusesAnInListWithoutBrackets() {
            String text = WHERE + "tags.a IN ('x')";

            TwinError error = refused(text, "invalidQuery", at(text, "("));

            assertThat(error.detail()).contains("expected '['");
        }

        @Test
        void refusesAnUnclosedOrTrailingCommaInList() {
            String unclosed = WHERE + "tags.a IN ['x'";
            String trailingComma = WHERE + "tags.a NIN ['x',]";

            assertThat(refused(unclosed, "invalidQuery", unclosed.length()).detail()).contains("expected ']'");
            assertThat(refused(trailingComma, "invalidQuery", at(trailingComma, "]")).detail())
                    .contains("expected a string, number, true, false or null");
        }

        @Test
        void refusesAFieldInAnInList() {
            String text = WHERE + "tags.a IN [tags.b]";

            refused(text, "invalidQuery", at(text, "tags.b"));
        }

        @Test
        void refusesAStringTestWhoseSecondArgumentIsNotAString() {
            String text = WHERE + "STARTS_WITH(deviceId, 5)";

            TwinError error = refused(text, "invalidQuery", at(text, "5"));

            assertThat(error.detail()).contains("expected a string as the second argument of STARTS_WITH");
        }

        @Test
        void refusesATypeTestOfALiteral() {
            String text = WHERE + "IS_NULL('x')";

            TwinError error = refused(text, "invalidQuery", at(text, "'x'"));

            assertThat(error.detail()).contains("expected a field name");
        }

        @ParameterizedTest
        @ValueSource(strings = {"IS_FOO(tags.a)", "length(tags.a) > 3", "COUNT() > 1", "tags(1)"})
        void refusesAnUnknownFunctionAtItsName(String condition) {
            String text = WHERE + condition;

            TwinError error = refused(text, "unknownFunction", WHERE.length());

            assertThat(error.detail()).contains("unknown function").contains("IS_DEFINED").contains("CONTAINS");
        }

        @Test
        void refusesTwoItemsWithTheSameKey() {
            String text = "SELECT deviceId, tags.deviceId FROM devices";

            TwinError error = refused(text, "duplicateKey", at(text, "tags.deviceId"));

            assertThat(error.detail()).contains("'deviceId'").contains("AS");
        }

        @Test
        void refusesTwoAliasesWithTheSameKey() {
            String text = "SELECT COUNT() AS n, MAX(tags.x) AS n FROM devices";

            refused(text, "duplicateKey", at(text, "MAX"));
        }

        @Test
        void refusesSelectStarWithGroupByAtTheFirstGroupedField() {
            String text = "SELECT * FROM devices GROUP BY tags.city, tags.floor";

            TwinError error = refused(text, "invalidGroupBy", at(text, "tags.city"));

            assertThat(error.detail()).contains("SELECT *");
        }

        @Test
        void refusesAFieldInAGroupedSelectThatIsNotGrouped() {
            String text = "SELECT tags.city, tags.floor, COUNT() FROM devices GROUP BY tags.city";

            TwinError error = refused(text, "invalidGroupBy", at(text, "tags.floor"));

            assertThat(error.detail()).contains("'tags.floor'");
        }

        @Test
        void refusesAFieldNextToAnAggregateWithoutGroupBy() {
            String text = "SELECT deviceId, COUNT() FROM devices";

            refused(text, "invalidGroupBy", at(text, "deviceId"));
        }

        @Test
        void refusesOrderingAGroupedQueryByAFieldThatIsNotGrouped() {
            String text = "SELECT tags.city, COUNT() FROM devices GROUP BY tags.city ORDER BY deviceId";

            refused(text, "invalidGroupBy", at(text, "deviceId"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"SELECT * FROM devices ORDER BY COUNT()",
                "SELECT deviceId FROM devices ORDER BY deviceId, MAX(tags.x) DESC"})
        void refusesOrderingByAnAggregateWithoutGrouping(String text) {
            int aggregate = text.contains("COUNT") ? at(text, "COUNT") : at(text, "MAX");

            TwinError error = refused(text, "invalidAggregate", aggregate);

            assertThat(error.detail()).contains("ORDER BY an aggregate");
        }

        @Test
        void refusesAnAggregateOfNothingAndACountOfAField() {
            String avg = "SELECT AVG() FROM devices";
            String count = "SELECT COUNT(tags.a) FROM devices";

            assertThat(refused(avg, "invalidQuery", at(avg, ")")).detail()).contains("expected a field name");
            assertThat(refused(count, "invalidQuery", at(count, "tags")).detail()).contains("expected ')'");
        }

        @Test
        void refusesGroupWithoutBy() {
            String text = "SELECT tags.a, COUNT() FROM devices GROUP tags.a";

            TwinError error = refused(text, "invalidQuery", text.lastIndexOf("tags.a"));

            assertThat(error.detail()).contains("expected BY");
        }

        @Test
        void refusesADotNotFollowedByAName() {
            String text = WHERE + "tags. = 1";

            TwinError error = refused(text, "invalidQuery", at(text, "="));

            assertThat(error.detail()).contains("expected a field name after '.'");
        }

        @ParameterizedTest
        @ValueSource(strings = {"1e", "5x", "1.5e+", "2abc"})
        void refusesANumberRunningIntoAName(String written) {
            String text = WHERE + "tags.a = " + written;

            TwinError error = refused(text, "invalidQuery", WHERE.length() + "tags.a = ".length());

            assertThat(error.detail()).contains("expected a number or a name");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "-1", "1.5", "2147483648", "1e10", "1e9999999999"})
        void refusesATopThatIsNotAPositiveInt(String count) {
            String text = "SELECT TOP " + count + " * FROM devices";

            TwinError error = refused(text, "invalidQuery", "SELECT TOP ".length());

            assertThat(error.detail()).contains("expected a whole number").contains("after TOP");
        }

        @Test
        void refusesTopWithoutANumber() {
            String text = "SELECT TOP * FROM devices";

            TwinError error = refused(text, "invalidQuery", at(text, "*"));

            assertThat(error.detail()).contains("expected a whole number after TOP").contains("found '*'");
        }

        @ParameterizedTest
        @ValueSource(strings = {"1e999", "-1e999", "1e-999", "1e309", "1e9999999999", "1e-9999999999"})
        void refusesANumberATwinCannotHold(String number) {
            String text = WHERE + "tags.a = " + number;

            TwinError error = refused(text, "numberOutOfRange", at(text, number));

            assertThat(error.detail()).contains(number);
        }

        @Test
        void refusesANumberATwinCannotHoldInAnInList() {
            String text = WHERE + "tags.a IN [1, 1e999]";

            refused(text, "numberOutOfRange", at(text, "1e999"));
        }

        @Test
        void acceptsAQueryOfExactlyTheLongestLength() {
            String start = WHERE + "tags.a = '";
            String text = start + "x".repeat(TwinQuery.MAX_LENGTH - start.length() - 1) + "'";
            assertThat(text).hasSize(8192);

            TwinQuery query = TwinQuery.parse(text);

            assertThat(((Condition.Comparison) query.where()).literal().textValue()).hasSize(8192 - start.length() - 1);
        }

        @Test
        void refusesAQueryOneCharacterTooLongAtTheLimit() {
            String start = WHERE + "tags.a = '";
            String text = start + "x".repeat(TwinQuery.MAX_LENGTH - start.length()) + "'";
            assertThat(text).hasSize(8193);

            TwinError error = refused(text, "queryTooLong", 8192);

            assertThat(error.detail()).contains("8193").contains("8192");
            refusedTarget("tags.a = 1 OR " + "tags.a = 1 OR ".repeat(600) + "tags.a = 1", "queryTooLong", 8192);
        }

        @Test
        void acceptsSixtyFourNestedParentheses() {
            String text = WHERE + "(".repeat(64) + "tags.a = 1" + ")".repeat(64);

            assertThat(show(TwinQuery.parse(text).where())).isEqualTo("(= tags.a 1)");
        }

        @Test
        void refusesSixtyFiveNestedParenthesesAtTheSixtyFifth() {
            String text = WHERE + "(".repeat(65) + "tags.a = 1" + ")".repeat(65);

            TwinError error = refused(text, "queryTooDeep", WHERE.length() + 64);

            assertThat(error.detail()).contains("64");
        }

        @Test
        void acceptsSixtyFourNots() {
            String text = WHERE + "NOT ".repeat(64) + "tags.a = 1";

            assertThat(show(TwinQuery.parse(text).where()))
                    .startsWith("(NOT (NOT ").endsWith("(= tags.a 1)" + ")".repeat(64));
        }

        @Test
        void refusesSixtyFiveNotsAtTheSixtyFifth() {
            String text = WHERE + "NOT ".repeat(65) + "tags.a = 1";

            TwinError error = refused(text, "queryTooDeep", WHERE.length() + 4 * 64);

            assertThat(error.detail()).contains("64");
        }

        @Test
        void refusesANulCharacterWherePostgreSqlCouldNotHoldIt() {
            String text = WHERE + "tags.label = 'a\u0000b'";

            TwinError error = refused(text, "invalidQuery", WHERE.length() + 15);

            assertThat(error.detail()).contains("NUL");
        }

        @Test
        void refusesMoreThanEightOrderByKeysAtTheNinth() {
            String keys = String.join(", ", java.util.Collections.nCopies(9, "tags.a"));
            String text = "SELECT * FROM devices ORDER BY " + keys;

            TwinError error = refused(text, "queryTooWide", text.lastIndexOf("tags.a"));

            assertThat(error.detail()).contains("8");
        }

        @Test
        void refusesMoreThanEightGroupByFieldsAtTheNinth() {
            String keys = String.join(", ", java.util.Collections.nCopies(9, "tags.a"));
            String text = "SELECT COUNT() FROM devices GROUP BY " + keys;

            refused(text, "queryTooWide", text.lastIndexOf("tags.a"));
        }

        @Test
        void refusesMoreThanAHundredSelectItemsAtTheHundredAndFirst() {
            StringBuilder select = new StringBuilder("SELECT ");
            for (int i = 0; i <= 100; i++) {
                select.append(i == 0 ? "" : ", ").append("tags.a AS k").append(i);
            }
            String text = select + " FROM devices";

            refused(text, "queryTooWide", text.indexOf("tags.a AS k100"));
        }

        @Test
        void refusesTooDeepATargetCondition() {
            String text = "(".repeat(65) + "tags.a = 1" + ")".repeat(65);

            refusedTarget(text, "queryTooDeep", 64);
        }

        @Test
        void acceptsALongButShallowCondition() {
            String text = WHERE + "tags.a = 1" + " AND (tags.b = 2)".repeat(300);

            assertThat(TwinQuery.parse(text).where()).isInstanceOf(Condition.And.class);
        }
    }

    // ---- target conditions that are refused

    @Nested
    class TargetConditionRefusals {

        @ParameterizedTest
        @ValueSource(strings = {"SELECT deviceId FROM devices", "SELECT TOP 5 * FROM devices WHERE tags.a = 1",
                "SELECT * FROM devices ORDER BY deviceId", "select COUNT() from devices"})
        void refusesAQueryThatDoesNotSelectWholeTwins(String target) {
            TwinError error = refusedTarget(target, "invalidTargetCondition", 0);

            assertThat(error.detail()).contains("SELECT * FROM");
        }

        @Test
        void refusesAGroupedQueryAsTheQueryItIs() {
            String target = "SELECT tags.a, COUNT() FROM devices GROUP BY tags.a";

            refusedTarget(target, "invalidTargetCondition", 0);
        }

        @Test
        void refusesAStarFollowedByMore() {
            TwinError error = refusedTarget("* AND tags.a = 1", "invalidQuery", 0);

            assertThat(error.detail()).contains("expected a field name");
        }

        @Test
        void refusesFromWithoutWhereBeforeTheCondition() {
            String target = "FROM devices tags.a = 1";

            TwinError error = refusedTarget(target, "invalidQuery", at(target, "tags"));

            assertThat(error.detail()).contains("expected WHERE");
        }

        @Test
        void refusesWhereWithoutACondition() {
            String target = "FROM devices.modules WHERE";

            refusedTarget(target, "invalidQuery", target.length());
        }

        @Test
        void refusesAConditionFollowedByAClause() {
            String target = "tags.a = 1 ORDER BY deviceId";

            TwinError error = refusedTarget(target, "invalidQuery", at(target, "ORDER"));

            assertThat(error.detail()).contains("expected AND, OR or the end of the condition");
        }

        @Test
        void refusesAWhereClauseWithoutFrom() {
            String target = "WHERE tags.a = 1";

            refusedTarget(target, "invalidQuery", 0);
        }

        @Test
        void refusesAnUnknownSourceInATargetCondition() {
            String target = "FROM modules WHERE tags.a = 1";

            TwinError error = refusedTarget(target, "invalidQuery", at(target, "modules"));

            assertThat(error.detail()).contains("expected devices or devices.modules");
        }
    }

    @Test
    void keepsTheKeysOfAllSelectItemsDistinct() {
        TwinQuery query = TwinQuery.parse("SELECT COUNT(), COUNT() AS total, COUNT(), tags.a, tags.b.a AS ba "
                + "FROM devices GROUP BY tags.a, tags.b.a");

        List<String> keys = keys(query);
        assertThat(keys).containsExactly("$1", "total", "$2", "a", "ba");
        assertThat(keys.stream().collect(Collectors.toSet())).hasSameSizeAs(keys);
    }
}
