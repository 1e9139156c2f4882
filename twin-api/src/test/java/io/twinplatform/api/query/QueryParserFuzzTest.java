package io.twinplatform.api.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Seeded random inputs for the query parser. Whatever the text, {@link TwinQuery#parse} and
 * {@link TwinQuery#parseTargetCondition} either return a query that evaluates over any twin document, or refuse with
 * a {@link ErrorKind#MALFORMED} error whose position {@code @n} lies inside the text. Nothing else may escape: an
 * unexpected exception would reach a client as a server error instead of a 400.
 *
 * <p>Each failure is reported with its seed, case number and the input as a Java string literal.
 */
class QueryParserFuzzTest {

    /** Generous: thousands of parses take well under a second; this only catches a parser that hangs. */
    private static final Duration TIME_BOUND = Duration.ofSeconds(10);

    private static final Set<String> CODES = Set.of("emptyQuery", "queryTooLong", "invalidQuery", "unknownField",
            "unknownFunction", "duplicateKey", "queryTooWide", "invalidGroupBy", "invalidAggregate", "numberOutOfRange",
            "queryTooDeep", "invalidTargetCondition");

    private static final Pattern POSITION = Pattern.compile("@(0|[1-9][0-9]*)");

    private static final List<String> CORPUS = List.of(
            "SELECT * FROM devices",
            "SELECT * FROM devices.modules",
            "select * from devices where tags.environment = 'prod'",
            "SELECT TOP 10 * FROM devices WHERE properties.reported.temperature > 25.5",
            "SELECT deviceId, tags.location.building AS building FROM devices WHERE status = 'enabled'",
            "SELECT * FROM devices WHERE tags.a = 1 OR tags.b = 2 AND NOT tags.c = 3",
            "SELECT * FROM devices WHERE (tags.a = 1 OR tags.b <> 'x') AND NOT (tags.c != null)",
            "SELECT * FROM devices WHERE tags.city IN ['Paris', 'Lyon', \"Nice\"] AND tags.floor NIN [1, 2.5, -3]",
            "SELECT * FROM devices WHERE tags.x IN [] OR tags.y NIN []",
            "SELECT * FROM devices WHERE IS_DEFINED(tags.a) AND NOT IS_NULL(tags.b) AND IS_STRING(deviceId)",
            "SELECT * FROM devices WHERE IS_NUMBER(tags.n) OR IS_BOOL(tags.b) OR IS_OBJECT(tags.o) OR IS_ARRAY(tags.r)",
            "SELECT * FROM devices WHERE is_primitive(properties.desired.mode)",
            "SELECT * FROM devices WHERE STARTS_WITH(deviceId, 'sensor-') AND ENDS_WITH(tags.name, 'x')",
            "SELECT * FROM devices WHERE CONTAINS(tags.description, 'it''s')",
            "SELECT * FROM devices WHERE tags.a = true AND tags.b = FALSE AND tags.c = Null",
            "SELECT * FROM devices WHERE tags.n >= -1.5e3 AND tags.n < 1E+2 AND tags.m <= 0.001",
            "SELECT * FROM devices WHERE tags.[[select]] = 'x' AND tags.from.order = 1",
            "SELECT * FROM devices WHERE properties.reported.[[$metadata]].[[$lastUpdated]] > '2024-01-01'",
            "SELECT * FROM devices WHERE inSync = false AND connectionState = 'Connected'",
            "SELECT COUNT() FROM devices",
            "SELECT COUNT() AS total, AVG(properties.reported.temp), MAX(properties.reported.temp) FROM devices",
            "SELECT tags.city, COUNT() AS n FROM devices GROUP BY tags.city",
            "SELECT tags.city, tags.floor, SUM(tags.load), MIN(tags.load) FROM devices GROUP BY tags.city, tags.floor",
            "SELECT tags.city, COUNT() FROM devices GROUP BY tags.city ORDER BY COUNT() DESC, tags.city ASC",
            "SELECT * FROM devices ORDER BY lastActivityTime DESC, deviceId",
            "SELECT TOP 5 deviceId, version FROM devices.modules WHERE moduleId = 'edge' ORDER BY version DESC",
            "SELECT * FROM devices WHERE ((tags.a = 1) AND ((tags.b = 2) OR NOT NOT (tags.c = 3)))",
            "SELECT deviceId AS [[order]], etag FROM devices WHERE statusReason = \"say \"\"hi\"\"\"",
            "SELECT * FROM devices WHERE configurations.cfg1.status = 'Applied' AND delta.temp > 1",
            "SELECT * FROM devices WHERE tags.unicode = 'Zürich \uD83D\uDE00'");

    private static final List<String> TARGET_CORPUS = List.of(
            "*",
            "tags.environment = 'prod'",
            "tags.a = 1 AND (tags.b IN ['x', 'y'] OR NOT IS_DEFINED(tags.c))",
            "FROM devices.modules WHERE moduleId = 'edge'",
            "FROM devices",
            "SELECT * FROM devices WHERE STARTS_WITH(deviceId, 'a')");

    private static final List<String> NUMBERS = List.of("0", "1", "-1", "-0", "2.5", "1e3", "1E-3", "-2.5e+2",
            "1e308", "1e309", "1e999", "-1e999", "1e-999", "2147483647", "2147483648", "9223372036854775808",
            "1e2147483647", "1e99999999999", "1e-99999999999", "0e99999999999", "007", "1.");

    private static final List<String> VOCABULARY = new ArrayList<>(List.of(
            "SELECT", "select", "TOP", "FROM", "WHERE", "AND", "or", "Not", "IN", "NIN", "AS", "GROUP", "ORDER", "BY",
            "ASC", "desc", "TRUE", "false", "NULL", "devices", "modules", "devices.modules",
            "deviceId", "moduleId", "status", "tags", "tags.a", "tags.location.city", "properties",
            "properties.desired.x", "properties.reported.temp", "inSync", "delta", "[[select]]", "[[a b]]", "foo",
            "$metadata", "COUNT", "AVG", "SUM", "MIN", "MAX", "IS_DEFINED", "is_null", "IS_STRING", "IS_NUMBER",
            "IS_BOOL", "IS_OBJECT", "IS_ARRAY", "IS_PRIMITIVE", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "FOO",
            "'x'", "'it''s'", "\"dq\"", "''", "*", "(", ")", "[", "]", ",", ".", "=", "!=", "<>", "<", "<=", ">",
            ">=", "!", "-", "[[", "]]", "'", "\"", ";", "@", "é", "\uD83D\uDE00", "\uD83D", "\u0000", "\u00A0",
            "COUNT()", "IS_DEFINED(tags.a)", "tags.a = 1", "tags.a IN [1, 'x']"));

    static {
        VOCABULARY.addAll(NUMBERS);
    }

    /** Tokens a mutation may swap for one another, keeping a query well formed more often than not. */
    private static final List<List<String>> KINDS = List.of(
            List.of("=", "!=", "<>", "<", "<=", ">", ">="),
            List.of("'x'", "''", "'it''s'", "\"dq\"", "0", "1", "-1", "2.5", "1e3", "1e999", "1e99999999999",
                    "9223372036854775808", "true", "FALSE", "null"),
            List.of("deviceId", "moduleId", "status", "version", "tags.a", "tags.b", "tags.o.k", "tags.r", "tags.c",
                    "properties.desired.x", "properties.reported.temp", "inSync", "delta.temp", "tags.[[select]]"),
            List.of("AND", "OR", "AND NOT", "OR NOT"),
            List.of("IN", "NIN"),
            List.of("ASC", "DESC"),
            List.of("IS_DEFINED", "IS_NULL", "IS_STRING", "IS_NUMBER", "IS_BOOL", "IS_OBJECT", "IS_ARRAY",
                    "IS_PRIMITIVE"),
            List.of("STARTS_WITH", "ENDS_WITH", "CONTAINS"),
            List.of("COUNT", "AVG", "SUM", "MIN", "MAX"));

    /** Characters a mutation inserts: the language's own, and some it has no use for. */
    private static final String ALPHABET = "abcxyzSELECTFROMWHEREANDORNOT_$0123456789.,*()[]'\"=!<>- \t\n;#@{}\\é"
            + "\u00A0\u2028\uFFFD\uD83D\uDE00\uDC00\u0000";

    private static final Pattern TOKEN = Pattern.compile("\\[\\[.*?]]|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\""
            + "|[A-Za-z_$][A-Za-z0-9_$]*|-?[0-9]+(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|<=|>=|<>|!=|\\S");

    private static final List<JsonNode> DOCUMENTS = List.of(
            json("""
                    {"deviceId": "sensor-1", "etag": "AAAA", "version": 4, "status": "enabled",
                     "connectionState": "Connected", "lastActivityTime": "2024-05-01T10:00:00Z",
                     "tags": {"environment": "prod", "a": 1, "b": "x", "c": null, "city": "Paris", "floor": 2.5,
                              "n": -1500, "o": {"k": [1, {"z": true}]}, "r": [1, "2", null], "select": "x",
                              "from": {"order": 1}, "unicode": "Zürich \uD83D\uDE00", "location": {"city": "Lyon"}},
                     "properties": {"desired": {"x": 1, "mode": "eco", "$version": 2},
                                    "reported": {"temp": 21.5, "temperature": 30, "$metadata": {"$lastUpdated": "2024"}}},
                     "configurations": {"cfg1": {"status": "Applied"}},
                     "delta": {"temp": 1}}
                    """),
            json("{\"deviceId\": \"gw\", \"moduleId\": \"edge\", \"version\": 1, \"tags\": {\"a\": \"1\"}, "
                    + "\"delta\": {}}"),
            json("{}"),
            json("{\"deviceId\": 7, \"tags\": [1, 2], \"properties\": \"text\", \"delta\": null, "
                    + "\"moduleId\": null, \"inSync\": \"yes\"}"));

    private static JsonNode json(String text) {
        try {
            return new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    // ---- the fuzz runs

    @Test
    void everyQueryOfTheCorpusParsesAndEvaluates() {
        Findings findings = new Findings(0);
        for (String query : CORPUS) {
            assertThat(TwinQuery.parse(query).text()).isEqualTo(query);
            findings.check(query);
        }
        for (String target : TARGET_CORPUS) {
            assertThat(TwinQuery.parseTargetCondition(target).text()).isEqualTo(target);
            findings.check(target);
        }
        findings.assertNone();
    }

    @Test
    void tokenSoupsAreParsedOrRefusedCleanly() {
        long seed = 20240501L;
        Findings findings = run(seed, 3000, random -> {
            String soup = soup(random, 1 + random.nextInt(30));
            return switch (random.nextInt(5)) {
                case 0 -> "SELECT " + soup;
                case 1 -> "SELECT * FROM devices WHERE " + soup;
                case 2 -> "SELECT " + soup + " FROM devices GROUP BY " + soup(random, 1 + random.nextInt(6));
                case 3 -> "SELECT * FROM devices ORDER BY " + soup;
                default -> soup;
            };
        });

        findings.assertNone();
        assertThat(findings.codes).as("refusal codes seen").contains("invalidQuery", "unknownField",
                "unknownFunction", "invalidTargetCondition");
    }

    @Test
    void characterMutationsOfValidQueriesAreParsedOrRefusedCleanly() {
        long seed = 77L;
        Findings findings = run(seed, 3000, random -> {
            StringBuilder text = new StringBuilder(base(random));
            int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                mutateCharacters(random, text);
            }
            return text.toString();
        });

        findings.assertNone();
        assertThat(findings.accepted).as("mutated queries that still parse").isGreaterThan(100);
        assertThat(findings.refused).as("mutated queries refused").isGreaterThan(1000);
    }

    @Test
    void tokenMutationsOfValidQueriesAreParsedOrRefusedCleanly() {
        long seed = 4242L;
        Findings findings = run(seed, 3000, random -> {
            List<String> tokens = tokens(base(random));
            int mutations = 1 + random.nextInt(2);
            for (int m = 0; m < mutations; m++) {
                mutateTokens(random, tokens);
            }
            return String.join(random.nextInt(8) == 0 ? "" : " ", tokens);
        });

        findings.assertNone();
        assertThat(findings.accepted).as("mutated queries that still parse").isGreaterThan(300);
        assertThat(findings.codes).as("refusal codes seen").contains("invalidQuery", "unknownField",
                "invalidGroupBy", "numberOutOfRange");
    }

    @Test
    void randomCharactersAndBytesAreRefusedCleanly() {
        long seed = 99L;
        Findings findings = run(seed, 2000, random -> switch (random.nextInt(4)) {
            case 0 -> randomCharacters(random, random.nextInt(120));
            case 1 -> new String(randomBytes(random), StandardCharsets.UTF_8);
            case 2 -> new String(randomBytes(random), StandardCharsets.ISO_8859_1);
            default -> "SELECT * FROM devices WHERE " + randomCharacters(random, random.nextInt(40));
        });

        findings.assertNone();
    }

    @Test
    void inputsAtTheLimitsAreParsedOrRefusedCleanly() {
        String valid = "SELECT * FROM devices WHERE tags.a = 1";
        List<String> inputs = new ArrayList<>();
        for (int length : new int[] {8191, 8192, 8193, 9000, 100_000}) {
            inputs.add(valid + " ".repeat(length - valid.length()));
            inputs.add("(".repeat(length));
            inputs.add("'".repeat(length));
            inputs.add(" ".repeat(length));
        }
        String where = "SELECT * FROM devices WHERE ";
        inputs.add(where + "(".repeat(4000) + "tags.a = 1" + ")".repeat(4000));
        inputs.add(where + "NOT ".repeat(2000) + "tags.a = 1");
        inputs.add(where + "NOT (".repeat(1000) + "tags.a = 1" + ")".repeat(1000));
        inputs.add(where + "tags.a = 1" + " OR tags.a = 1".repeat(580));
        inputs.add(where + "tags.a IN [" + "1, ".repeat(2500) + "1]");
        inputs.add(where + "tags.a = " + "9".repeat(8000));
        inputs.add(where + "tags.a = 0." + "0".repeat(8000) + "1");
        inputs.add(where + "tags" + ".a".repeat(4000) + " = 1");
        inputs.add("SELECT " + "COUNT(), ".repeat(800) + "COUNT() FROM devices");
        inputs.add("[[" + "]".repeat(8000));
        inputs.add("[[".repeat(4000));

        Findings findings = new Findings(0);
        assertTimeoutPreemptively(TIME_BOUND, () -> inputs.forEach(findings::check));

        findings.assertNone();
        assertThat(findings.codes).contains("queryTooLong", "queryTooDeep", "emptyQuery", "numberOutOfRange");
    }

    // ---- generators

    private static Findings run(long seed, int cases, Function<Random, String> generator) {
        Random random = new Random(seed);
        Findings findings = new Findings(seed);
        assertTimeoutPreemptively(TIME_BOUND, () -> {
            for (int i = 0; i < cases; i++) {
                findings.caseNumber = i;
                findings.check(generator.apply(random));
            }
        });
        return findings;
    }

    private static String base(Random random) {
        int index = random.nextInt(CORPUS.size() + TARGET_CORPUS.size());
        return index < CORPUS.size() ? CORPUS.get(index) : TARGET_CORPUS.get(index - CORPUS.size());
    }

    private static String soup(Random random, int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            if (i > 0 && random.nextInt(10) != 0) {
                text.append(' ');
            }
            text.append(pick(random, VOCABULARY));
        }
        return text.toString();
    }

    private static void mutateCharacters(Random random, StringBuilder text) {
        int at = text.length() == 0 ? 0 : random.nextInt(text.length());
        switch (random.nextInt(5)) {
            case 0 -> {
                if (text.length() > 0) {
                    text.deleteCharAt(at);
                }
            }
            case 1 -> {
                if (text.length() > 0) {
                    text.insert(at, text.charAt(at));
                }
            }
            case 2 -> {
                if (at + 1 < text.length()) {
                    char c = text.charAt(at);
                    text.setCharAt(at, text.charAt(at + 1));
                    text.setCharAt(at + 1, c);
                }
            }
            case 3 -> text.insert(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            default -> {
                if (text.length() > 0) {
                    text.setCharAt(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                }
            }
        }
    }

    private static List<String> tokens(String text) {
        List<String> tokens = new ArrayList<>();
        Matcher matcher = TOKEN.matcher(text);
        while (matcher.find()) {
            tokens.add(matcher.group());
        }
        return tokens;
    }

    private static void mutateTokens(Random random, List<String> tokens) {
        if (tokens.isEmpty()) {
            tokens.add(pick(random, VOCABULARY));
            return;
        }
        int at = random.nextInt(tokens.size());
        switch (random.nextInt(8)) {
            case 0 -> tokens.remove(at);
            case 1 -> tokens.add(at, tokens.get(at));
            case 2 -> {
                int other = random.nextInt(tokens.size());
                String token = tokens.get(at);
                tokens.set(at, tokens.get(other));
                tokens.set(other, token);
            }
            case 3 -> tokens.add(at, pick(random, VOCABULARY));
            case 4 -> tokens.set(at, pick(random, VOCABULARY));
            case 5 -> {
                List<Integer> numbers = new ArrayList<>();
                for (int i = 0; i < tokens.size(); i++) {
                    if (Character.isDigit(tokens.get(i).charAt(tokens.get(i).length() - 1))) {
                        numbers.add(i);
                    }
                }
                int target = numbers.isEmpty() ? at : pick(random, numbers);
                tokens.set(target, pick(random, NUMBERS));
            }
            default -> {
                // Swap a token for another of its kind: an operator for an operator, a literal for a literal...
                List<Integer> kinds = new ArrayList<>();
                for (int i = 0; i < tokens.size(); i++) {
                    for (List<String> kind : KINDS) {
                        if (kind.contains(tokens.get(i))) {
                            kinds.add(i);
                        }
                    }
                }
                int target = kinds.isEmpty() ? at : pick(random, kinds);
                for (List<String> kind : KINDS) {
                    if (kind.contains(tokens.get(target))) {
                        tokens.set(target, pick(random, kind));
                        break;
                    }
                }
            }
        }
    }

    private static String randomCharacters(Random random, int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            if (kind < 5) {
                text.append((char) (0x20 + random.nextInt(0x5f)));
            } else if (kind < 7) {
                text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            } else if (kind < 9) {
                text.append((char) random.nextInt(0x10000));
            } else {
                text.appendCodePoint(0x10000 + random.nextInt(0x100000));
            }
        }
        return text.toString();
    }

    private static byte[] randomBytes(Random random) {
        byte[] bytes = new byte[random.nextInt(100)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static <T> T pick(Random random, List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    // ---- the property

    /** Checks inputs against the property and keeps the first few that break it. */
    private static final class Findings {

        private static final int SHOWN = 12;

        private final long seed;
        private final List<String> shown = new ArrayList<>();
        private final Set<String> codes = new TreeSet<>();
        private int caseNumber;
        private int failures;
        private int accepted;
        private int refused;

        Findings(long seed) {
            this.seed = seed;
        }

        void check(String text) {
            Object parsed = checkEntry("parse", text, TwinQuery::parse);
            checkEntry("parseTargetCondition", text, TwinQuery::parseTargetCondition);
            if (parsed != null) {
                checkShifted(text, parsed instanceof TwinError error ? error : null);
            }
        }

        /** Leading blanks change nothing but every position, which moves by as many characters. */
        private void checkShifted(String text, TwinError original) {
            String shifted = "  " + text;
            if (shifted.length() > TwinQuery.MAX_LENGTH || original != null && original.code().equals("emptyQuery")) {
                return;
            }
            try {
                TwinQuery.parse(shifted);
                if (original != null) {
                    fail(text, "parse refuses it (" + describe(original) + ") but accepts it after two leading spaces");
                }
            } catch (TwinException e) {
                TwinError error = e.error();
                if (original == null) {
                    fail(text, "parse accepts it but refuses it after two leading spaces: " + describe(error));
                } else if (!error.code().equals(original.code())
                        || !error.path().equals("@" + (position(original) + 2))) {
                    fail(text, "refused as " + describe(original) + " but after two leading spaces as "
                            + describe(error));
                }
            } catch (RuntimeException | StackOverflowError e) {
                fail(text, "parse after two leading spaces threw " + e);
            }
        }

        /** Returns the query, or the refusal, or null when the text broke the property. */
        private Object checkEntry(String entry, String text, Function<String, TwinQuery> parser) {
            TwinQuery query;
            try {
                query = parser.apply(text);
            } catch (TwinException e) {
                refused++;
                TwinError error = e.error();
                codes.add(error.code());
                String problem = problem(error, text);
                if (problem != null) {
                    fail(text, entry + ": " + problem + ": " + describe(error));
                    return null;
                }
                return error;
            } catch (RuntimeException | StackOverflowError e) {
                fail(text, entry + " threw " + e);
                return null;
            }
            accepted++;
            if (!text.equals(query.text())) {
                fail(text, entry + " returned a query with another text");
                return null;
            }
            try {
                evaluate(query);
            } catch (RuntimeException | StackOverflowError e) {
                fail(text, "evaluating what " + entry + " returned threw " + e);
                return null;
            }
            return query;
        }

        private static void evaluate(TwinQuery query) {
            List<Field> fields = new ArrayList<>(query.groupBy());
            for (SelectItem item : query.select()) {
                fields.add(item.isAggregate() ? item.aggregate().field() : item.field());
            }
            for (OrderKey key : query.orderBy()) {
                fields.add(key.aggregate() != null ? key.aggregate().field() : key.field());
            }
            for (JsonNode document : DOCUMENTS) {
                QueryEvaluator.evaluate(query.where(), document);
                query.matches(document);
                for (Field field : fields) {
                    if (field != null) {
                        QueryEvaluator.value(field, document);
                    }
                }
            }
        }

        private static String problem(TwinError error, String text) {
            if (error.kind() != ErrorKind.MALFORMED) {
                return "kind is not MALFORMED";
            }
            if (!CODES.contains(error.code())) {
                return "unknown code";
            }
            if (error.detail().isBlank()) {
                return "blank detail";
            }
            if (error.path() == null || !POSITION.matcher(error.path()).matches()) {
                return "path is not @<offset>";
            }
            long position = position(error);
            boolean tooLong = error.code().equals("queryTooLong");
            if (tooLong && text.length() <= TwinQuery.MAX_LENGTH) {
                return "queryTooLong for a text of " + text.length() + " characters";
            }
            if (!tooLong && text.length() > TwinQuery.MAX_LENGTH && !error.code().equals("emptyQuery")) {
                return "a text of " + text.length() + " characters refused for something else than its length";
            }
            long limit = tooLong ? TwinQuery.MAX_LENGTH : text.length();
            if (position > limit || tooLong && position != TwinQuery.MAX_LENGTH) {
                return "position beyond " + limit;
            }
            return null;
        }

        private static long position(TwinError error) {
            return Long.parseLong(error.path().substring(1));
        }

        private static String describe(TwinError error) {
            return error.code() + " " + error.path() + " (" + error.detail() + ")";
        }

        private void fail(String text, String problem) {
            failures++;
            if (shown.size() < SHOWN) {
                shown.add("seed " + seed + " case " + caseNumber + ": " + javaLiteral(text) + "\n    " + problem);
            }
        }

        void assertNone() {
            assertThat(failures).as("inputs breaking the property (%d refused, %d accepted); the first ones:%n%s",
                    refused, accepted, String.join("\n", shown)).isZero();
        }

        private static String javaLiteral(String text) {
            StringBuilder literal = new StringBuilder("\"");
            String shortened = text.length() > 300 ? text.substring(0, 300) : text;
            for (char c : shortened.toCharArray()) {
                if (c == '"' || c == '\\') {
                    literal.append('\\').append(c);
                } else if (c >= 0x20 && c < 0x7f) {
                    literal.append(c);
                } else {
                    literal.append(String.format("\\u%04x", (int) c));
                }
            }
            literal.append('"');
            if (shortened.length() < text.length()) {
                literal.append(" (first 300 of ").append(text.length()).append(" characters)");
            }
            return literal.toString();
        }
    }
}
