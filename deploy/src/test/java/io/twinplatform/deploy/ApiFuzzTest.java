package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import javax.sql.DataSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Malformed requests to every operation of the served OpenAPI document, as a hostile client would send them: odd path
 * variables, extreme and broken query parameters, wildcard and wrong media types, garbage preconditions and
 * headers, and broken, truncated, mistyped, deep, huge and mis-encoded bodies. Every answer must be below 500; every
 * 4xx must be {@code application/problem+json} with {@code status}, {@code code} and a {@code detail} that names no
 * library internals; and a refused request must write nothing (the event store's last global index is unchanged,
 * and no event carries the request's correlation id). An accepted batch ({@code POST /twins/batch}) is judged item
 * by item as its single endpoints would be: an item with NUL or a lone surrogate must be refused in its result, and
 * only twins of items answered 200 may have been written.
 *
 * <p>Deterministic: the choices come from a {@link Random} with a fixed seed (printed; {@code -Dtwin.fuzz.seed=}
 * replays another), requests run one after another over raw sockets (so any byte can be sent) and the whole run is
 * a few thousand requests. Bodies that could be valid are made harmless: configurations are staged, jobs start in
 * 2999 and target no twin, rollouts name a configuration that does not exist; one that is accepted (a valid body
 * with an odd header) is taken back at once.
 */
class ApiFuzzTest extends PlatformTestSupport {

    private static final long SEED = Long.getLong("twin.fuzz.seed", 16_2026L);
    private static final List<String> METHODS = List.of("get", "put", "post", "patch", "delete");
    private static final Pattern VARIABLE = Pattern.compile("\\{([^}]+)}");
    /** Words a problem's detail must not contain: they name the libraries or the JVM behind the API. */
    private static final List<String> INTERNALS = List.of("com.fasterxml", "jackson", "streamreadconstraints",
            "jsonreadfeature", "java.", "org.", "exception", "`", "\tat ", "at io.", "springframework", "tomcat",
            "hibernate", "postgres", "sqlstate", "jdbc");
    /** The event store's last position: what a refused request must leave as it was. */
    private static final String LAST_EVENT = "SELECT coalesce(max(global_index), 0) FROM domain_event_entry";

    @Autowired
    private DataSource dataSource;

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    private RequestMappingHandlerMapping mappings;

    private JdbcTemplate jdbc;
    private Random random;
    private String device;
    private String module;
    private final List<String> failures = new ArrayList<>();
    private final Map<Integer, Integer> byStatus = new TreeMap<>();
    private int sent;
    private int backgroundEvents;
    private int undone;

    /** One operation of the document. */
    record Operation(String method, String template, List<Parameter> parameters, boolean body) {

        @Override
        public String toString() {
            return method + " " + template;
        }
    }

    record Parameter(String name, String in) {
    }

    /**
     * One request as bytes go on the wire: {@code target} is the request target (already percent-encoded, or
     * deliberately not), header values are ISO-8859-1 strings (one char per byte, so any byte can be sent).
     */
    record Request(Operation operation, String label, String method, String target, List<String[]> headers,
                   byte[] body) {

        String describe() {
            StringBuilder text = new StringBuilder(method).append(' ').append(cut(target, 300));
            for (String[] header : headers) {
                text.append(" | ").append(header[0]).append(": ").append(cut(printable(header[1]), 120));
            }
            if (body != null) {
                text.append(" | body ").append(body.length).append(" bytes: ")
                        .append(cut(printable(new String(body, StandardCharsets.ISO_8859_1)), 200));
            }
            return text.toString();
        }
    }

    record Response(int status, String contentType, String body) {
    }

    @Test
    void malformedRequestsToEveryOperationAreRefusedWithAProblemAndWriteNothing() {
        jdbc = new JdbcTemplate(dataSource);
        random = new Random(SEED);
        device = createDevice("{'tags':{'fuzz':'target'},'properties':{'desired':{'fan':1}}}");
        module = "m1";
        assertThat(http.put("/twins/" + device + "/modules/" + module, TwinHttp.q("{'tags':{'fuzz':'module'}}"))
                .status()).isEqualTo(201);

        List<Operation> operations = operations();
        assertThat(operations).as("operations in /v3/api-docs").isNotEmpty();
        assertThat(operations.stream().map(Operation::toString).toList())
                .as("the document lists every operation served").containsAll(served());
        List<Request> requests = new ArrayList<>();
        for (Operation operation : operations) {
            requests.addAll(requestsFor(operation));
        }
        System.out.printf("ApiFuzzTest: seed %d, %d operations, %d requests%n", SEED, operations.size(),
                requests.size());

        awaitQuiet();
        long started = System.nanoTime();
        for (Request request : requests) {
            check(request);
            if (sent % 1000 == 0) {
                System.out.printf("ApiFuzzTest: %d requests, %d s, %d failures%n", sent,
                        Duration.ofNanos(System.nanoTime() - started).toSeconds(), failures.size());
            }
        }
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        System.out.printf("ApiFuzzTest: seed %d, %d requests to %d operations in %d s, by status %s, %d events"
                        + " written meanwhile by others, %d accepted configurations or jobs taken back, %d failures%n",
                SEED, sent, operations.size(), seconds, byStatus, backgroundEvents, undone, failures.size());
        assertThat(failures).as("fuzz failures (seed %d), %d of %d requests:%n%s", SEED, failures.size(), sent,
                String.join("\n", failures.subList(0, Math.min(failures.size(), 300)))).isEmpty();
    }

    // ---- the document -------------------------------------------------------------------------------------------

    private List<Operation> operations() {
        JsonNode paths = http.get("/v3/api-docs").json().path("paths");
        List<Operation> operations = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            for (String method : METHODS) {
                JsonNode operation = path.getValue().get(method);
                if (operation == null) {
                    continue;
                }
                List<Parameter> parameters = new ArrayList<>();
                for (JsonNode list : List.of(path.getValue().path("parameters"), operation.path("parameters"))) {
                    for (JsonNode parameter : list) {
                        parameters.add(new Parameter(parameter.path("name").asText(), parameter.path("in").asText()));
                    }
                }
                boolean body = operation.has("requestBody") || !method.equals("get") && !method.equals("delete");
                operations.add(new Operation(method.toUpperCase(Locale.ROOT), path.getKey(), parameters, body));
            }
        }
        // The document's order is the order springdoc met the handlers in; the seed's choices follow a fixed one.
        operations.sort(java.util.Comparator.comparing(Operation::template).thenComparing(Operation::method));
        return operations;
    }

    /** Every operation the platform's controllers serve, as {@code METHOD /path/{variable}}. */
    private List<String> served() {
        List<String> served = new ArrayList<>();
        mappings.getHandlerMethods().forEach((info, method) -> {
            if (method.getBeanType().getPackageName().startsWith("io.twinplatform")) {
                for (String pattern : info.getPatternValues()) {
                    info.getMethodsCondition().getMethods().forEach(verb -> served.add(verb.name() + " " + pattern));
                }
            }
        });
        assertThat(served).as("operations the controllers serve").isNotEmpty();
        return served;
    }

    // ---- what is sent --------------------------------------------------------------------------------------------

    /** Path variables: percent-encoded as they go on the wire. */
    private static final List<String> PATH_VALUES = List.of(
            "%20", "+", ".", "..", "%2E%2E", "a%2Fb", "a%5Cb", "%00", "a%00b", "%FF", "a%ED%A0%80b", "%C0%80",
            "%E2%82", "%", "%G0", "a%", "%F0%9F%98%80", "%E2%80%AE", "%EF%BF%BF", "%C3%A9t%C3%A9", "%0D%0A", "%09",
            "%7F", "%22", "%3C%3E", "%3B", ";a=b", "%25", "%2A", "null", "-1", "99999999999999999999", "$",
            "%24version", "~", "'", "a".repeat(129), "b".repeat(2000), "%C3%A9".repeat(400));

    /** Query parameter values: instants at and past the ends of the calendar, numbers, booleans and encodings. */
    private static final List<String> QUERY_VALUES = List.of(
            "-999999999-01-01T00:00:00Z", "%2B999999999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "%2B10000-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00", "now", "",
            "%00", "a%00b", "%FF", "%ED%A0%80", "%C0%80", "%", "%G0", "x".repeat(3000), "%F0%9F%98%80", "-1", "0",
            "99999999999999999999", "-99999999999999999999", "9223372036854775807", "-9223372036854775808", "1.5",
            "1e400", "NaN", "true", "yes", "2", "null", "%20", "+", "%27%20OR%201%3D1--", "%22", "%5B%5D",
            "1h%00", "999999999999d", "-5m", "0s");

    private static final List<String> ALWAYS_PATH = List.of("%00", "a%ED%A0%80b", "%FF", "%", "%2E%2E",
            "b".repeat(2000));

    private static final List<String> ALWAYS_QUERY = List.of("-999999999-01-01T00:00:00Z",
            "%2B999999999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "%2B10000-01-01T00:00:00Z", "%00", "%ED%A0%80",
            "99999999999999999999", "-1", "x".repeat(3000));

    private static final List<String> CONTENT_TYPES = List.of("*/*", "application/*", "*/json", "text/plain",
            "application/json; charset=latin1", "application/json; charset=ISO-8859-1",
            "application/json; charset=utf-16", "application/json; charset=nonsense", "application/json; charset=",
            "application/merge-patch+json", "application/problem+json", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/json, text/plain", "garbage", "", "/", "application/",
            "application/json; q=0.5", "application/xml", "text/*");

    private static final List<String> ACCEPTS = List.of("*/*", "application/xml", "text/html", "garbage", "",
            "application/json;q=x", "application/problem+json", "text/event-stream", "image/png, */*;q=0",
            "application/*", "application/x-ndjson", "text/csv");

    private static final List<String> ETAGS = List.of("garbage", "\"", "\"\"", "*", "W/\"1\"", "\"-1\"",
            "\"99999999999999999999\"", "\"1\", \"2\"", "\"abc", ",,", "\"1\"x", "W/", "\u00e9",
            new String("\"é\"".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1), "\"\u0000\"",
            "\"\u00ff\"", "\"%00\"");

    private static final List<String> OTHER_HEADERS = List.of("Authorization", "X-Principal", "X-Change-Reason",
            "X-Correlation-Id", "Idempotency-Key");

    private static final List<String> HEADER_VALUES = List.of("", " ", "x".repeat(300), "y".repeat(5000),
            "a\u0000b", "\u00ff\u00fe", new String("é✓".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1),
            new String(new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, StandardCharsets.ISO_8859_1), "\t",
            "%00");

    /** Values of a header parameter: the headers' values, and numbers out of range or not whole. */
    private static final List<String> HEADER_PARAMETER_VALUES = java.util.stream.Stream.concat(HEADER_VALUES.stream(),
            java.util.stream.Stream.of("-1", "0", "99999999999999999999", "9223372036854775807", "1.5", "1e3", "abc",
                    "1 2", "+1", "0x10")).toList();

    /** A device's own credentials gone wrong: {@code Basic} that is not base64, has no colon, is not UTF-8, … */
    private static final List<String> DEVICE_CREDENTIALS = List.of("Basic", "Basic ", "basic", "Basic %%%",
            "Basic \u00e9", "Basic " + b64("no-colon"), "Basic " + b64(":"), "Basic " + b64("bad id:x"),
            "Basic " + b64("a/b/c:x"), "Basic //46eA==", "Basic " + b64("d1\u0000:x"), "Basic ====",
            "Basic " + b64("x".repeat(300) + ":y"), "BASIC " + b64("d1:x"), "Basic " + b64("d1:") + " extra");

    private static String b64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private List<Request> requestsFor(Operation operation) {
        List<Request> requests = new ArrayList<>();
        List<String> variables = variables(operation.template());
        String body = template(operation);
        byte[] minimal = operation.body() ? "{}".getBytes(StandardCharsets.UTF_8) : null;

        // Path variables, one at a time, the others harmless.
        for (String variable : variables) {
            for (String value : sample(PATH_VALUES, ALWAYS_PATH, 16)) {
                requests.add(request(operation, "path " + variable, path(operation, Map.of(variable, value)),
                        List.of(), minimal));
            }
        }
        // Query parameters, every declared one, plus one the operation does not know.
        String base = path(operation, Map.of());
        for (Parameter parameter : operation.parameters()) {
            if (!parameter.in().equals("query")) {
                continue;
            }
            for (String value : sample(QUERY_VALUES, ALWAYS_QUERY, 14)) {
                requests.add(request(operation, "query " + parameter.name(),
                        base + "?" + parameter.name() + "=" + value, List.of(), json(body)));
            }
            requests.add(request(operation, "query " + parameter.name() + " twice",
                    base + "?" + parameter.name() + "=1&" + parameter.name() + "=-999999999-01-01T00:00:00Z",
                    List.of(), json(body)));
        }
        requests.add(request(operation, "query unknown", base + "?unknown=%00&%FF=1&=&&", List.of(), json(body)));
        // Header parameters the document declares (Last-Event-ID), every value.
        for (Parameter parameter : operation.parameters()) {
            if (parameter.in().equals("header")) {
                for (String value : HEADER_PARAMETER_VALUES) {
                    requests.add(request(operation, "header " + parameter.name(), base, one(parameter.name(), value),
                            json(body)));
                }
            }
        }
        // Media types, with and without a body.
        for (String type : CONTENT_TYPES) {
            requests.add(request(operation, "content type", base, one("Content-Type", type), json(body)));
        }
        for (String type : sample(CONTENT_TYPES, List.of("*/*", "application/*", "text/plain"), 3)) {
            requests.add(request(operation, "content type, no body", base,
                    one("Content-Type", type), new byte[0]));
        }
        requests.add(request(operation, "no content type", base, List.of(), json(body)));
        for (String accept : sample(ACCEPTS, List.of(), 4)) {
            requests.add(request(operation, "accept", base, one("Accept", accept), json(body)));
        }
        // Preconditions and the headers the platform reads, a seeded sample of them.
        for (String name : List.of("If-Match", "If-None-Match")) {
            for (String value : sample(ETAGS, List.of(), 4)) {
                requests.add(request(operation, "precondition", base, one(name, value), json(body)));
            }
        }
        for (String name : OTHER_HEADERS) {
            for (int i = 0; i < 2; i++) {
                requests.add(request(operation, "header", base,
                        one(name, pick(HEADER_VALUES)), json(body)));
            }
        }
        for (int i = 0; i < 2; i++) {
            requests.add(request(operation, "device credentials", base,
                    one("Authorization", pick(DEVICE_CREDENTIALS)), json(body)));
        }
        // Bodies.
        if (operation.body()) {
            for (byte[] bad : badBodies(body)) {
                requests.add(request(operation, "body", base, List.of(), bad));
            }
            for (String mistyped : mistyped(body)) {
                requests.add(request(operation, "body member", base, List.of(), json(mistyped)));
            }
        }
        // A few of everything at once.
        for (int i = 0; i < 4; i++) {
            String target = variables.isEmpty() ? base
                    : path(operation, Map.of(pick(variables), pick(PATH_VALUES)));
            List<Parameter> query = operation.parameters().stream().filter(p -> p.in().equals("query")).toList();
            if (!query.isEmpty()) {
                target += "?" + pick(query).name() + "=" + pick(QUERY_VALUES);
            }
            List<String[]> headers = List.<String[]>of(header("Content-Type", pick(CONTENT_TYPES)),
                    header("If-Match", pick(ETAGS)), header(pick(OTHER_HEADERS), pick(HEADER_VALUES)));
            requests.add(request(operation, "mixed", target, headers,
                    operation.body() ? pick(BAD_BODIES) : null));
        }
        return requests;
    }

    private static List<String> variables(String template) {
        List<String> names = new ArrayList<>();
        Matcher matcher = VARIABLE.matcher(template);
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    /**
     * The operation's path with {@code overrides} put in and every other variable harmless: the fuzz twin for
     * reads and writes (a delete names a twin that does not exist), {@code fuzz-<name>} for everything else (no
     * configuration, rollout, job or processor has such a name).
     */
    private String path(Operation operation, Map<String, String> overrides) {
        Matcher matcher = VARIABLE.matcher(operation.template());
        StringBuilder path = new StringBuilder();
        while (matcher.find()) {
            String name = matcher.group(1);
            String value = overrides.containsKey(name) ? overrides.get(name)
                    : operation.method().equals("DELETE") ? "fuzz-none-" + name
                    : name.equals("deviceId") && operation.template().startsWith("/twins/") ? device
                    : name.equals("moduleId") ? module
                    : "fuzz-" + name;
            matcher.appendReplacement(path, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(path);
        return path.toString();
    }

    /** A body the operation would take, made harmless (see the class comment). */
    private String template(Operation operation) {
        String path = operation.template();
        if (path.startsWith("/configurations/")) {
            return "{\"targetCondition\":\"tags.fuzz='never'\",\"priority\":10,\"staged\":true,"
                    + "\"content\":{\"deviceContent\":{\"properties.desired.fuzz\":{\"a\":\"b\"}}},"
                    + "\"metrics\":{\"queries\":{\"compliant\":"
                    + "\"SELECT deviceId FROM devices WHERE tags.fuzz='never'\"}},"
                    + "\"labels\":{\"team\":\"fuzz\"}}";
        }
        if (path.startsWith("/jobs/")) {
            return "{\"type\":\"scheduleUpdateTwin\",\"queryCondition\":\"tags.fuzz = 'never'\","
                    + "\"updateTwin\":{\"tags\":{\"ring\":\"early\"},\"properties\":{\"desired\":{\"i\":30}}},"
                    + "\"startTime\":\"2999-01-01T00:00:00Z\",\"maxExecutionTimeInSeconds\":3600}";
        }
        if (path.equals("/rollouts")) {
            return "{\"id\":\"fuzz-rollout\",\"configurationId\":\"fuzz-none\","
                    + "\"phases\":[{\"name\":\"canary\",\"percent\":5},{\"percent\":100}],"
                    + "\"success\":{\"metric\":\"compliant\",\"minPercent\":95,\"soakSeconds\":600},"
                    + "\"failure\":{\"reportedCondition\":\"properties.reported.x = 'E'\",\"maxPercent\":2},"
                    + "\"onFailure\":\"rollback\",\"phaseTimeoutSeconds\":3600}";
        }
        if (path.startsWith("/rollouts/")) {
            return "{\"reason\":\"fuzz\"}";
        }
        if (path.equals("/query")) {
            return "{\"query\":\"SELECT deviceId FROM devices WHERE tags.fuzz = 'never'\",\"pageSize\":10,"
                    + "\"continuationToken\":null,\"asOf\":\"2026-01-01T00:00:00Z\"}";
        }
        if (path.equals("/audit/verify")) {
            return "{\"twinId\":\"" + device + "\",\"from\":\"2020-01-01T00:00:00Z\",\"to\":\"2030-01-01T00:00:00Z\","
                    + "\"history\":false}";
        }
        if (path.equals("/twins/batch")) {
            return "{\"items\":[{\"deviceId\":\"" + device + "\",\"reported\":{\"fuzz\":\"batch\"},"
                    + "\"idempotencyKey\":\"fuzz-key\"},{\"deviceId\":\"" + device + "\",\"moduleId\":\"" + module
                    + "\",\"patch\":{\"tags\":{\"fuzz\":\"module\"}},\"ifMatch\":\"*\"}]}";
        }
        if (path.endsWith("/properties/reported")) {
            return "{\"telemetryInterval\":60,\"firmwareVersion\":\"1.2.3\",\"nested\":{\"a\":[1,2]}}";
        }
        if (path.endsWith("/status")) {
            return "{\"status\":\"enabled\",\"statusReason\":\"fuzz\"}";
        }
        if (path.endsWith("/shadow")) {
            return "{\"state\":{\"desired\":{\"color\":\"red\"},\"reported\":{\"color\":\"red\"}},"
                    + "\"clientToken\":\"abc\",\"version\":1}";
        }
        if (path.startsWith("/twins/")) {
            return "{\"tags\":{\"location\":{\"building\":\"b\"}},\"properties\":{\"desired\":{\"interval\":30}}}";
        }
        return "{}";
    }

    /** Broken bodies: syntax, encodings, escapes the store cannot hold, depth, size, numbers; the same for all. */
    private static final List<byte[]> BAD_BODIES = badBodies();

    private static List<byte[]> badBodies() {
        List<byte[]> bodies = new ArrayList<>();
        for (String text : List.of("", " ", "\n", "{", "}", "[", "{\"a\":}", "{\"a\" 1}", "{'a':1}", "{a:1}",
                "{\"a\":1,}", "[1,]", "{\"a\":1}}", "{\"a\":1} x", "nul", "tru", "NaN", "{\"a\":NaN}",
                "{\"a\":Infinity}", "{\"a\":01}", "{\"a\":-}", "{\"a\":.5}", "{\"a\":1e}", "\"unterminated",
                "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}", "/* c */ {}", "{}//", "[]", "1",
                "\"s\"", "null", "true", "{\"a\":\"\\u0000\"}", "{\"\\u0000\":1}", "{\"a\":\"\\ud800\"}",
                "{\"a\":\"\\udc00x\"}", "{\"a\":\"\\ud800\\ud800\"}", "{\"a\":1e400}", "{\"a\":-1e400}",
                "{\"a\":99999999999999999999}", "{\"a\":1.7976931348623157e309}", "{\"a\":4.9e-325}",
                "{\"a\":" + "9".repeat(1200) + "}", "{\"a\":0." + "1".repeat(1200) + "}",
                "[".repeat(2000) + "]".repeat(2000), nestedObjects(1200), nestedObjects(300),
                "{\"" + "k".repeat(60_000) + "\":1}")) {
            bodies.add(text.getBytes(StandardCharsets.UTF_8));
        }
        for (byte[] bytes : List.of(
                new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'},
                new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0x80, '"', '}'},
                new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'},
                new byte[]{'{', '"', (byte) 0xFE, '"', ':', '1', '}'},
                new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'},
                new byte[]{(byte) 0xFF, (byte) 0xFE, '{', 0, '}', 0},
                new byte[]{'{', '"', 'a', '"', ':', '"', 0, '"', '}'},
                new byte[]{'{', '}', 0})) {
            bodies.add(bytes);
        }
        // Many members, and one big body (a string of 3 MB).
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 20_000; i++) {
            many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":0");
        }
        bodies.add(many.append('}').toString().getBytes(StandardCharsets.UTF_8));
        bodies.add(("{\"a\":\"" + "z".repeat(3 << 20) + "\"}").getBytes(StandardCharsets.UTF_8));
        return List.copyOf(bodies);
    }

    /** {@link #BAD_BODIES}, and the operation's own body broken. */
    private List<byte[]> badBodies(String template) {
        List<byte[]> bodies = new ArrayList<>(BAD_BODIES);
        // The operation's own body, truncated at three seeded places, and with NUL in its first string.
        for (int i = 0; i < 3; i++) {
            bodies.add(template.substring(0, random.nextInt(Math.max(1, template.length() - 1))).getBytes(
                    StandardCharsets.UTF_8));
        }
        bodies.add(template.replaceFirst(":\"", ":\"\\\\u0000").getBytes(StandardCharsets.UTF_8));
        bodies.add(template.replaceFirst(":\"", ":\"\\\\udfff").getBytes(StandardCharsets.UTF_8));
        return bodies;
    }

    private static String nestedObjects(int levels) {
        return "{\"a\":".repeat(levels) + "1" + "}".repeat(levels);
    }

    /**
     * The template with one member at a time given a value of another type, an extreme number or an empty value,
     * every member down to three levels (a seeded sample of at most 60).
     */
    private List<String> mistyped(String template) {
        JsonNode root;
        try {
            root = TwinHttp.JSON.readTree(template);
        } catch (IOException e) {
            throw new IllegalStateException(template, e);
        }
        List<String> bodies = new ArrayList<>();
        collect(root, root, 0, bodies);
        while (bodies.size() > 24) {
            bodies.remove(random.nextInt(bodies.size()));
        }
        return bodies;
    }

    private static final String RAW = "@@raw@@";

    private void collect(JsonNode root, JsonNode node, int depth, List<String> bodies) {
        if (depth > 3 || !node.isContainerNode()) {
            return;
        }
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            for (String name : iterable(object.fieldNames())) {
                JsonNode original = object.get(name);
                for (String wrong : wrongValues(original)) {
                    object.set(name, new TextNode(RAW));
                    bodies.add(root.toString().replace("\"" + RAW + "\"", wrong));
                }
                object.set(name, original);
                collect(root, original, depth + 1, bodies);
            }
        } else {
            ArrayNode array = (ArrayNode) node;
            for (int i = 0; i < array.size(); i++) {
                JsonNode original = array.get(i);
                for (String wrong : wrongValues(original)) {
                    array.set(i, new TextNode(RAW));
                    bodies.add(root.toString().replace("\"" + RAW + "\"", wrong));
                }
                array.set(i, original);
                collect(root, original, depth + 1, bodies);
            }
        }
    }

    /** Values a member of this kind should not take (never {@code null}: that may mean absent). */
    private static List<String> wrongValues(JsonNode original) {
        if (original.isTextual()) {
            return List.of("123", "true", "{}", "[]", "\"\"", "\"" + "s".repeat(70_000) + "\"",
                    "\"-999999999-01-01T00:00:00Z\"", "\"a\\u0000b\"");
        }
        if (original.isNumber()) {
            return List.of("\"12\"", "true", "{}", "[]", "1e400", "99999999999999999999999", "-1", "1.5",
                    "-9223372036854775809");
        }
        if (original.isBoolean()) {
            return List.of("\"true\"", "1", "{}");
        }
        if (original.isObject()) {
            return List.of("\"x\"", "1", "[]", "true");
        }
        return List.of("\"x\"", "1", "{}");
    }

    private static <T> Iterable<T> iterable(Iterator<T> iterator) {
        List<T> list = new ArrayList<>();
        iterator.forEachRemaining(list::add);
        return list;
    }

    /** {@code always}, then {@code more} others picked by the seed. */
    private <T> List<T> sample(List<T> values, List<T> always, int more) {
        List<T> rest = new ArrayList<>(values);
        rest.removeAll(always);
        java.util.Collections.shuffle(rest, random);
        List<T> sample = new ArrayList<>(always);
        sample.addAll(rest.subList(0, Math.min(more, rest.size())));
        return sample;
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static List<String[]> one(String name, String value) {
        return List.<String[]>of(header(name, value));
    }

    private static String[] header(String name, String value) {
        return new String[]{name, value};
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private Request request(Operation operation, String label, String target, List<String[]> headers, byte[] body) {
        boolean bodyless = operation.method().equals("GET") || operation.method().equals("DELETE");
        return new Request(operation, label, operation.method(), target, headers,
                bodyless && !label.startsWith("content type") ? null : body);
    }

    /** Whether the bytes are not UTF-8, or hold NUL or a JSON escape of NUL or of a surrogate. */
    private static boolean unicodeFault(byte[] part) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(part)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return true;
        }
        return text.indexOf('\u0000') >= 0 || UNICODE_ESCAPE.matcher(text).find();
    }

    private static final Pattern UNICODE_ESCAPE = Pattern.compile("(?i)\\\\u(0000|d[89a-f][0-9a-f]{2})");

    // ---- sending and judging -------------------------------------------------------------------------------------

    private void check(Request request) {
        String correlation = "fuzz-" + sent;
        long before = lastEvent();
        Response response;
        try {
            response = send(request, correlation);
        } catch (IOException e) {
            fail(request, "no answer: " + e, null);
            return;
        }
        sent++;
        byStatus.merge(response.status(), 1, Integer::sum);
        if (response.status() >= 500 || response.status() < 100) {
            fail(request, "server error", response);
        } else if (response.status() >= 400) {
            String problem = problemFault(response);
            if (problem != null) {
                fail(request, problem, response);
            }
            long after = lastEvent();
            if (after != before) {
                List<Map<String, Object>> written = jdbc.queryForList("SELECT global_index, aggregate_identifier,"
                        + " payload_type, convert_from(meta_data, 'UTF8') AS meta FROM domain_event_entry"
                        + " WHERE global_index > ? ORDER BY global_index", before);
                List<Map<String, Object>> ours = written.stream()
                        .filter(row -> String.valueOf(row.get("meta")).contains("\"" + correlation + "\""))
                        .toList();
                if (!ours.isEmpty()) {
                    fail(request, "refused, yet wrote " + ours, response);
                }
                backgroundEvents += written.size() - ours.size();
            }
        } else if (response.status() < 300 && isBatch(request)) {
            String fault = batchFault(request, response, correlation, before);
            if (fault != null) {
                fail(request, fault, response);
            }
        } else if (response.status() < 300 && request.body() != null && unicodeFault(request.body())) {
            fail(request, "a body with NUL, a lone surrogate or invalid UTF-8 was accepted", response);
        }
        if (response.status() >= 200 && response.status() < 300 && creates(request)) {
            // A harmless body with an odd header: accepted, as it may be; taken back so nothing runs on its own.
            undo(request);
            undone++;
        }
    }

    private static boolean isBatch(Request request) {
        return request.operation().template().equals("/twins/batch") && request.operation().method().equals("POST");
    }

    /**
     * Why an accepted batch broke the rules, or null. A batch is judged item by item, as its single endpoints
     * would be: every item with NUL or a lone surrogate is refused in its result with a problem, and the request
     * wrote events only for twins of items answered 200 (a refused item writes nothing).
     */
    private String batchFault(Request request, Response response, String correlation, long before) {
        JsonNode items;
        JsonNode results;
        try {
            items = TwinHttp.JSON.readTree(request.body()).path("items");
            results = TwinHttp.JSON.readTree(response.body()).path("results");
        } catch (IOException e) {
            return "an accepted batch whose body or answer is not JSON";
        }
        if (!items.isArray() || !results.isArray() || items.size() != results.size()) {
            return "an accepted batch without one result per item";
        }
        java.util.Set<String> applied = new java.util.HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode result = results.get(i);
            int status = result.path("status").asInt();
            if (result.path("index").asInt(-1) != i) {
                return "result " + i + " names index " + result.path("index");
            }
            if (status == 200) {
                if (textFault(items.get(i))) {
                    return "batch item " + i + " with NUL or a lone surrogate was applied";
                }
                JsonNode item = items.get(i);
                applied.add(item.path("deviceId").asText()
                        + (item.path("moduleId").isTextual() ? "/" + item.path("moduleId").asText() : ""));
            } else if (status >= 500) {
                return "batch item " + i + " answered " + status;
            } else if (result.path("problem").path("status").asInt() != status
                    || result.path("problem").path("code").asText().isBlank()) {
                return "batch item " + i + " refused without its problem";
            }
        }
        for (Map<String, Object> row : jdbc.queryForList("SELECT aggregate_identifier, convert_from(meta_data, 'UTF8')"
                + " AS meta FROM domain_event_entry WHERE global_index > ?", before)) {
            if (String.valueOf(row.get("meta")).contains("\"" + correlation + "\"")
                    && !applied.contains(String.valueOf(row.get("aggregate_identifier")))) {
                return "a refused batch item wrote to " + row.get("aggregate_identifier");
            }
        }
        return null;
    }

    /** Whether a key or string below {@code node} holds NUL or an unpaired surrogate. */
    private static boolean textFault(JsonNode node) {
        if (node.isTextual()) {
            return textFault(node.textValue());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (textFault(field.getKey()) || textFault(field.getValue())) {
                return true;
            }
        }
        if (node.isArray()) {
            for (JsonNode element : node) {
                if (textFault(element)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean textFault(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0 || Character.isLowSurrogate(c)
                    || Character.isHighSurrogate(c) && (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(++i)))) {
                return true;
            }
        }
        return false;
    }

    /** Why a 4xx answer is not a proper problem, or null. */
    private static String problemFault(Response response) {
        if (!response.contentType().startsWith("application/problem+json")) {
            return "4xx without application/problem+json (" + response.contentType() + ")";
        }
        JsonNode problem;
        try {
            problem = TwinHttp.JSON.readTree(response.body());
        } catch (IOException e) {
            return "problem is not JSON";
        }
        if (problem.path("status").asInt() != response.status()) {
            return "problem status " + problem.path("status") + " differs from " + response.status();
        }
        if (!problem.path("code").isTextual() || problem.path("code").asText().isBlank()) {
            return "problem without code";
        }
        if (!problem.path("detail").isTextual() || problem.path("detail").asText().isBlank()) {
            return "problem without detail";
        }
        String detail = problem.path("detail").asText().toLowerCase(Locale.ROOT);
        for (String internal : INTERNALS) {
            if (detail.contains(internal)) {
                return "problem detail names internals (" + internal + ")";
            }
        }
        if (response.body().contains("\"trace\"") || response.body().contains("\"exception\"")) {
            return "problem carries a trace";
        }
        return null;
    }

    private static boolean creates(Request request) {
        String template = request.operation().template();
        return request.operation().method().equals("PUT")
                && (template.startsWith("/configurations/") || template.startsWith("/jobs/"))
                || request.operation().method().equals("POST") && template.equals("/rollouts");
    }

    private void undo(Request request) {
        String target = request.target().split("\\?")[0];
        if (request.operation().template().startsWith("/configurations/")) {
            http.delete(target);
        } else if (request.operation().template().startsWith("/jobs/")) {
            http.post(target + "/cancel", null);
        } else {
            http.post("/rollouts/fuzz-rollout/abort", null);
        }
    }

    private void fail(Request request, String why, Response response) {
        if (failures.size() < 300) {
            System.out.println("ApiFuzzTest failure: " + request.operation() + " [" + request.label() + "] " + why);
        }
        failures.add(request.operation() + " [" + request.label() + "] " + why + "\n    request:  "
                + request.describe() + (response == null ? ""
                : "\n    response: " + response.status() + " " + response.contentType() + " "
                + cut(response.body(), 500)));
    }

    private long lastEvent() {
        Long last = jdbc.queryForObject(LAST_EVENT, Long.class);
        return last == null ? 0 : last;
    }

    /**
     * Waits (up to 30 s) until the event store has been still for a second: the context is shared with other test
     * classes, whose sagas, appliers and jobs may still be writing.
     */
    private void awaitQuiet() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long last = lastEvent();
        long stillSince = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - stillSince < Duration.ofSeconds(1).toNanos()) {
            sleep(100);
            long now = lastEvent();
            if (now != last) {
                last = now;
                stillSince = System.nanoTime();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One request on its own connection, bytes as they are: no client library cleans anything up. */
    private Response send(Request request, String correlation) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", "127.0.0.1:" + port);
        headers.put("Connection", "close");
        headers.put("X-Correlation-Id", correlation);
        headers.put("Authorization", http.authorization());
        boolean contentType = false;
        for (String[] header : request.headers()) {
            headers.remove(header[0]);
            contentType |= header[0].equalsIgnoreCase("Content-Type");
        }
        if (request.body() != null && !contentType) {
            headers.put("Content-Type", "application/json");
        }
        head.writeBytes((request.method() + " " + request.target() + " HTTP/1.1\r\n").getBytes(
                StandardCharsets.ISO_8859_1));
        headers.forEach((name, value) -> head.writeBytes((name + ": " + value + "\r\n").getBytes(
                StandardCharsets.ISO_8859_1)));
        for (String[] header : request.headers()) {
            head.writeBytes((header[0] + ": " + header[1] + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        if (request.body() != null) {
            head.writeBytes(("Content-Length: " + request.body().length + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
        }
        head.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            // Written while the answer is read, as an HTTP client should: a server may answer a request whose body it
            // will not read (a 3 MB one, say) and close after swallowing server.tomcat.max-swallow-size of it, so the
            // rest of the write fails while the answer is already there.
            CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(head.toByteArray());
                    if (request.body() != null) {
                        out.write(request.body());
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                return parse(readUntilClosed(socket.getInputStream()));
            } catch (IOException e) {
                Throwable writeFailure = written.handle((done, failure) -> failure).join();
                if (writeFailure != null) {
                    e.addSuppressed(writeFailure);
                }
                throw e;
            }
        }
    }

    /**
     * What the server sent until it closed the connection. A reset after part of an answer keeps that part: a server
     * that closes with some of the request unread resets the connection once it has answered.
     */
    /**
     * The whole answer, up to the server's close; of an accepted event stream ({@code GET /events}), which stays
     * open, the head alone.
     */
    private static byte[] readUntilClosed(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                all.write(buffer, 0, n);
                String text = all.toString(StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                if (end > 0 && text.startsWith("HTTP/1.1 200") && text.substring(0, end).toLowerCase(Locale.ROOT)
                        .contains("\r\ncontent-type: text/event-stream")) {
                    return java.util.Arrays.copyOf(all.toByteArray(), end + 4);
                }
            }
        } catch (IOException e) {
            if (all.size() == 0) {
                throw e;
            }
        }
        return all.toByteArray();
    }

    private static Response parse(byte[] all) throws IOException {
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0 || !text.startsWith("HTTP/1.1 ")) {
            throw new IOException("not an HTTP response: " + cut(text, 200));
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        String contentType = "";
        boolean chunked = false;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            if (name.equals("content-type")) {
                contentType = value;
            } else if (name.equals("transfer-encoding") && value.equalsIgnoreCase("chunked")) {
                chunked = true;
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(all, end + 4, all.length);
        if (chunked && body.length > 0) {
            body = dechunk(body);
        }
        return new Response(status, contentType, new String(body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int at = 0;
        while (at < chunked.length) {
            int lineEnd = at;
            while (lineEnd + 1 < chunked.length && !(chunked[lineEnd] == '\r' && chunked[lineEnd + 1] == '\n')) {
                lineEnd++;
            }
            String size = new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int length = size.isEmpty() ? 0 : Integer.parseInt(size, 16);
            if (length == 0) {
                break;
            }
            body.write(chunked, lineEnd + 2, Math.min(length, chunked.length - lineEnd - 2));
            at = lineEnd + 2 + length + 2;
        }
        return body.toByteArray();
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "…(" + text.length() + " chars)";
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(c < 0x20 || c >= 0x7F ? String.format("\\x%02X", c) : (char) c));
        return out.toString();
    }
}
