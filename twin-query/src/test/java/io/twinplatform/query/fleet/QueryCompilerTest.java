package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.twinplatform.api.query.TwinQuery;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SQL the fleet query compiler writes: only the compiler's own text, every value a user gave a bind parameter,
 * index-friendly containment only where it cannot change the three-valued result, and cursors as wide as the
 * query's order needs.
 */
class QueryCompilerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** What an attacker would like to see reach the SQL text. */
    private static final String INJECTION = "'; DROP TABLE twin_document; --";

    /**
     * Query templates: {@code A} and {@code B} are field names, {@code S} a string literal's content, {@code N} a
     * number, {@code K} an alias. Each template is compiled with two different sets of user text: the SQL must be
     * the same, character for character.
     */
    private static final List<String> TEMPLATES = List.of(
            "SELECT * FROM devices",
            "SELECT * FROM devices WHERE tags.A = 'S'",
            "SELECT * FROM devices WHERE tags.A = N",
            "SELECT * FROM devices WHERE tags.A != 'S' AND properties.reported.B > N",
            "SELECT * FROM devices WHERE tags.[[A]].[[B]] <= 'S'",
            "SELECT * FROM devices WHERE tags.A IN ['S', N, true, null] OR tags.B NIN ['S', N]",
            "SELECT * FROM devices WHERE tags.A IN [] OR tags.B NIN []",
            "SELECT * FROM devices WHERE NOT (tags.A = 'S' OR tags.B < N)",
            "SELECT * FROM devices WHERE IS_DEFINED(tags.A) AND NOT IS_NULL(tags.B) AND IS_OBJECT(tags.A.B)",
            "SELECT * FROM devices WHERE IS_STRING(tags.A) OR IS_NUMBER(tags.B) OR IS_BOOL(tags.A) OR IS_ARRAY(tags.B)"
                    + " OR IS_PRIMITIVE(tags.A)",
            "SELECT * FROM devices WHERE STARTS_WITH(tags.A, 'S') AND ENDS_WITH(tags.B, 'S') AND CONTAINS(tags.A, 'S')",
            "SELECT * FROM devices WHERE NOT STARTS_WITH(tags.A, 'S')",
            "SELECT * FROM devices WHERE inSync = true AND tags.A = 'S'",
            "SELECT deviceId, tags.A AS K, properties.reported.B FROM devices WHERE tags.A >= 'S'",
            "SELECT TOP 7 * FROM devices WHERE tags.A = 'S' ORDER BY tags.B DESC",
            "SELECT deviceId, moduleId FROM devices.modules WHERE moduleId = 'S'",
            "SELECT COUNT() AS K, AVG(tags.A), SUM(tags.B), MIN(tags.A), MAX(tags.B) FROM devices WHERE tags.A = N",
            "SELECT tags.A, COUNT() AS K, AVG(tags.B) FROM devices WHERE tags.B != 'S' GROUP BY tags.A",
            "SELECT tags.A, tags.B, COUNT() AS K FROM devices GROUP BY tags.A, tags.B ORDER BY COUNT() DESC",
            "SELECT tags.A, AVG(tags.B) AS K FROM devices GROUP BY tags.A ORDER BY AVG(tags.B), tags.A DESC",
            "SELECT * FROM devices WHERE tags.A = 'S' ORDER BY tags.A, properties.reported.B DESC");

    private record UserText(String a, String b, String s, String n, String k) {
        String fill(String template) {
            // Replace whole-word placeholders only (A, B, S, N, K never occur elsewhere as words in the templates).
            StringBuilder out = new StringBuilder();
            Matcher m = Pattern.compile("\\b([ABSNK])\\b").matcher(template);
            while (m.find()) {
                String value = switch (m.group(1)) {
                    case "A" -> a;
                    case "B" -> b;
                    case "S" -> s.replace("'", "''");
                    case "N" -> n;
                    default -> k;
                };
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return out.toString();
        }

        List<String> fragments() {
            return List.of(a, b, s, n, k);
        }
    }

    private static final UserText FIRST = new UserText("zqxFieldAlpha", "zqxFieldBeta", "zqxLiteralGamma",
            "987654321.25", "zqxAliasDelta");
    private static final UserText SECOND = new UserText("otherFieldOmega", "y", INJECTION, "-4", "q");

    private static CompiledQuery compile(String text, List<JsonNode> after, int limit) {
        return QueryCompiler.compile(TwinQuery.parse(text), after, limit);
    }

    /** A cursor of the right shape for the query, with hostile text in every text column. */
    private static List<JsonNode> hostileCursor(TwinQuery query) {
        List<JsonNode> cursor = new ArrayList<>();
        for (String type : QueryCompiler.cursorTypes(query)) {
            cursor.add(switch (type) {
                case "boolean" -> NODES.booleanNode(true);
                case "integer" -> NODES.numberNode(2);
                case "text" -> NODES.textNode(INJECTION);
                default -> NODES.textNode(INJECTION + " zqxCursorJson");
            });
        }
        return cursor;
    }

    private static int placeholders(String sql) {
        return (int) sql.chars().filter(c -> c == '?').count();
    }

    @Test
    void theSqlIsTheSameWhateverTheUserWrote() {
        for (String template : TEMPLATES) {
            String first = FIRST.fill(template);
            String second = SECOND.fill(template);
            CompiledQuery a = compile(first, null, 101);
            CompiledQuery b = compile(second, null, 101);
            assertThat(b.sql()).as("SQL of %s vs %s", first, second).isEqualTo(a.sql());
            assertThat(b.params()).as("parameters of %s", second).hasSameSizeAs(a.params());

            // With a continuation cursor too: the cursor's values are parameters, not text.
            TwinQuery qa = TwinQuery.parse(first);
            TwinQuery qb = TwinQuery.parse(second);
            if (!QueryCompiler.cursorTypes(qa).isEmpty()) {
                CompiledQuery pa = compile(first, hostileCursor(qa), 5);
                CompiledQuery pb = compile(second, hostileCursor(qb), 9);
                assertThat(pb.sql()).as("paged SQL of %s", second).isEqualTo(pa.sql());
            }
        }
    }

    /** The first page of a query, and a later page after a hostile cursor where the query has one. */
    private static List<CompiledQuery> compiledForms(String text) {
        TwinQuery query = TwinQuery.parse(text);
        List<CompiledQuery> compiled = new ArrayList<>();
        compiled.add(QueryCompiler.compile(query, null, 100));
        if (!QueryCompiler.cursorTypes(query).isEmpty()) {
            compiled.add(QueryCompiler.compile(query, hostileCursor(query), 100));
        }
        return compiled;
    }

    @Test
    void noUserTextReachesTheSql() {
        for (UserText user : List.of(FIRST, SECOND)) {
            for (String template : TEMPLATES) {
                String text = user.fill(template);
                for (CompiledQuery c : compiledForms(text)) {
                    for (String fragment : user.fragments()) {
                        if (fragment.length() < 3) {
                            continue; // too short to tell apart from SQL keywords; covered by the sameness test
                        }
                        assertThat(c.sql()).as("SQL of %s", text).doesNotContain(fragment);
                    }
                    assertThat(c.sql()).as("SQL of %s", text).doesNotContain("DROP").doesNotContain("--")
                            .doesNotContain("zqx").doesNotContain("987654321");
                }
            }
        }
    }

    @Test
    void injectionTextTravelsOnlyAsParameters() {
        String query = "SELECT deviceId, tags.[[a'); DROP TABLE twin_document; --]] AS [[x\"; DROP]] FROM devices"
                + " WHERE tags.label = '" + INJECTION.replace("'", "''") + "'"
                + " OR STARTS_WITH(tags.[[q\"u'o{t}e]], \"\"\"; DROP TABLE twin_document; --\")"
                + " OR tags.[[{}]] IN ['" + INJECTION.replace("'", "''") + "']";
        CompiledQuery compiled = compile(query, null, 100);
        assertThat(compiled.sql()).doesNotContain("DROP").doesNotContain("q\"u").doesNotContain("{}]")
                .doesNotContain("\"\"");
        List<String> flat = new ArrayList<>();
        for (Object param : compiled.params()) {
            if (param instanceof CompiledQuery.TextArray array) {
                flat.addAll(array.items());
            } else if (param instanceof CompiledQuery.Json json) {
                flat.add(json.text());
            } else {
                flat.add(String.valueOf(param));
            }
        }
        // Names and function arguments as text, literals as JSON text.
        assertThat(flat).contains("a'); DROP TABLE twin_document; --", "q\"u'o{t}e", "{}",
                "\"; DROP TABLE twin_document; --");
        assertThat(flat).anyMatch(p -> p.contains(JSON.getNodeFactory().textNode(INJECTION).toString()));
    }

    @Test
    void placeholdersMatchParametersAndAllParametersHaveKnownTypes() {
        for (UserText user : List.of(FIRST, SECOND)) {
            for (String template : TEMPLATES) {
                String text = user.fill(template);
                for (CompiledQuery c : compiledForms(text)) {
                    assertThat(placeholders(c.sql())).as("placeholders of %s", text).isEqualTo(c.params().size());
                    assertThat(c.sql()).as("no unbound placeholder in %s", text).doesNotContainPattern("\\{p\\d+}");
                    for (Object param : c.params()) {
                        assertThat(param).as("parameter of %s", text).isInstanceOfAny(String.class, Long.class,
                                Integer.class, Boolean.class, CompiledQuery.Json.class, CompiledQuery.TextArray.class);
                    }
                }
            }
        }
    }

    @Test
    void theLimitIsTheLastParameter() {
        for (String template : TEMPLATES) {
            String text = FIRST.fill(template);
            CompiledQuery five = compile(text, null, 5);
            CompiledQuery thousand = compile(text, null, 1001);
            assertThat(five.sql()).as("SQL of %s", text).endsWith("LIMIT ?");
            assertThat(five.params().get(five.params().size() - 1)).isEqualTo(5);
            assertThat(thousand.params().get(thousand.params().size() - 1)).isEqualTo(1001);
            assertThat(thousand.sql()).isEqualTo(five.sql());
            assertThat(five.sql()).doesNotContain("1001").doesNotContain("LIMIT 5");
        }
    }

    /** How many containment tests ({@code document @> …} or {@code fields @> …}) the compiled WHERE has. */
    private static int containments(String where) {
        String sql = compile("SELECT * FROM devices WHERE " + where, null, 10).sql();
        int all = sql.split("@>", -1).length - 1;
        Matcher onAColumn = Pattern.compile("\\b(document|fields) @> \\?::jsonb").matcher(sql);
        int count = 0;
        while (onAColumn.find()) {
            count++;
        }
        assertThat(count).as("every @> tests a document column against a parameter: %s", sql).isEqualTo(all);
        return count;
    }

    @Test
    void containmentOnlyWherePolarityIsPositive() {
        assertThat(containments("tags.a = 'x'")).isEqualTo(1);
        assertThat(containments("tags.a = 1 AND tags.b = true")).isEqualTo(2);
        assertThat(containments("tags.a = 'x' OR tags.b = null")).isEqualTo(2);
        assertThat(containments("tags.a IN ['x', 'y', 3]")).isEqualTo(3);
        assertThat(containments("NOT NOT (tags.a = 'x')")).isEqualTo(1);
        assertThat(containments("NOT (NOT (tags.a IN ['x']))")).isEqualTo(1);

        assertThat(containments("NOT (tags.a = 'x')")).isZero();
        assertThat(containments("NOT tags.a = 'x'")).isZero();
        assertThat(containments("NOT (tags.a = 'x' OR tags.b = 'y')")).isZero();
        assertThat(containments("NOT (tags.a IN ['x', 'y'])")).isZero();
        assertThat(containments("NOT NOT NOT (tags.a = 'x')")).isZero();
        assertThat(containments("tags.a != 'x'")).isZero();
        assertThat(containments("tags.a <> 'x'")).isZero();
        assertThat(containments("tags.a NIN ['x']")).isZero();
        assertThat(containments("tags.a IN []")).isZero();
        assertThat(containments("inSync = true")).isZero();
        assertThat(containments("inSync IN [true]")).isZero();
        assertThat(containments("tags.a > 1 AND tags.b < 'x' AND IS_DEFINED(tags.c) AND STARTS_WITH(tags.d, 'e')"))
                .isZero();

        assertThat(containments("tags.a = 'x' AND NOT (tags.b = 'y')")).isEqualTo(1);
        assertThat(containments("tags.a = 'x' OR NOT (tags.b IN ['y'] AND NOT (tags.c = 1))")).isEqualTo(2);
    }

    @Test
    void containmentNestsTheLiteralUnderTheFieldsPath() {
        CompiledQuery compiled = compile("SELECT * FROM devices WHERE tags.location.[[build'ing]] = 'b1'", null, 10);
        List<JsonNode> documents = compiled.params().stream()
                .filter(p -> p instanceof CompiledQuery.Json)
                .map(p -> read(((CompiledQuery.Json) p).text()))
                .toList();
        assertThat(documents).contains(read("{\"tags\":{\"location\":{\"build'ing\":\"b1\"}}}"));
    }

    @Test
    void underNotTheComparisonStaysThreeValued() {
        String positive = compile("SELECT * FROM devices WHERE tags.a > 1", null, 10).sql();
        String negative = compile("SELECT * FROM devices WHERE NOT (tags.a > 1)", null, 10).sql();
        assertThat(positive).doesNotContain("CASE WHEN jsonb_typeof");
        assertThat(negative).contains("(NOT (CASE WHEN jsonb_typeof");
        assertThat(compile("SELECT * FROM devices WHERE NOT (tags.a = 1)", null, 10).sql())
                .contains("(NOT (CASE WHEN jsonb_typeof");
    }

    @Test
    void cursorWidthFollowsTheQueryShape() {
        assertThat(types("SELECT * FROM devices")).containsExactly("text");
        assertThat(types("SELECT * FROM devices WHERE tags.a = 1")).containsExactly("text");
        assertThat(types("SELECT TOP 3 deviceId, tags.a AS x FROM devices.modules")).containsExactly("text");
        assertThat(types("SELECT * FROM devices ORDER BY tags.a"))
                .containsExactly("boolean", "integer", "text", "jsonb", "text");
        assertThat(types("SELECT deviceId FROM devices ORDER BY tags.a DESC, properties.reported.t"))
                .containsExactly("boolean", "integer", "text", "jsonb", "boolean", "integer", "text", "jsonb", "text");
        assertThat(types("SELECT COUNT() FROM devices")).isEmpty();
        assertThat(types("SELECT COUNT(), AVG(tags.a) AS x FROM devices WHERE tags.b = 1")).isEmpty();
        assertThat(types("SELECT tags.a, COUNT() FROM devices GROUP BY tags.a"))
                .containsExactly("boolean", "integer", "text", "jsonb");
        assertThat(types("SELECT tags.a, tags.b, COUNT() FROM devices GROUP BY tags.a, tags.b")).hasSize(8);
        assertThat(types("SELECT tags.a, COUNT() FROM devices GROUP BY tags.a ORDER BY COUNT() DESC")).hasSize(8);
        assertThat(types("SELECT tags.a, tags.b, COUNT() FROM devices GROUP BY tags.a, tags.b"
                + " ORDER BY COUNT() DESC, tags.b")).hasSize(16);

        for (String template : TEMPLATES) {
            String text = FIRST.fill(template);
            TwinQuery query = TwinQuery.parse(text);
            CompiledQuery compiled = QueryCompiler.compile(query, null, 10);
            assertThat(compiled.keys()).as("cursor columns of %s", text)
                    .isEqualTo(QueryCompiler.cursorTypes(query).size());
            for (int i = 1; i <= compiled.keys(); i++) {
                assertThat(compiled.sql()).as("%s", text).contains(" AS c" + i);
            }
            assertThat(compiled.sql()).doesNotContain(" AS c" + (compiled.keys() + 1));
        }
    }

    @Test
    void outputColumnsFollowTheSelectList() {
        assertThat(compile("SELECT * FROM devices", null, 1).outputs()).isEqualTo(1);
        assertThat(compile("SELECT deviceId, tags.a AS x, tags.b FROM devices", null, 1).outputs()).isEqualTo(3);
        assertThat(compile("SELECT COUNT(), MAX(tags.a) FROM devices", null, 1).outputs()).isEqualTo(2);
        assertThat(compile("SELECT tags.a, COUNT() AS n, AVG(tags.b) FROM devices GROUP BY tags.a", null, 1)
                .outputs()).isEqualTo(3);
    }

    @Test
    void theKeysetCarriesOneParameterPerComparedColumn() {
        TwinQuery query = TwinQuery.parse("SELECT * FROM devices ORDER BY tags.a DESC");
        List<JsonNode> cursor = hostileCursor(query);
        CompiledQuery first = QueryCompiler.compile(query, null, 10);
        CompiledQuery next = QueryCompiler.compile(query, cursor, 10);
        int m = cursor.size();
        // The expanded row comparison: column i is compared after i equalities, so m(m+1)/2 cursor parameters.
        assertThat(next.params().size() - first.params().size()).isEqualTo(m * (m + 1) / 2);
        assertThat(next.params()).contains(INJECTION, true, 2);
        assertThat(next.params()).anyMatch(p -> p instanceof CompiledQuery.Json json
                && json.text().equals(NODES.textNode(INJECTION + " zqxCursorJson").toString()));
    }

    private static List<String> types(String text) {
        return QueryCompiler.cursorTypes(TwinQuery.parse(text));
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(json, e);
        }
    }
}
