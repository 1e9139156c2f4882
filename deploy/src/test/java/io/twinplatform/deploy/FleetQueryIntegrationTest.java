package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static io.twinplatform.deploy.TwinHttp.JSON;
import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The fleet query language over HTTP ({@code POST /query}) against a fleet of about 300 device twins and 40 module
 * twins, created once through the twin API from definitions kept here, so every expected result is computed in
 * Java from those definitions. Every query is scoped to this run's fleet ({@code tags.fleet}), so twins of other
 * test classes sharing the platform never count.
 *
 * <p>Twin documents cannot hold JSON null in tags or properties (writes drop nulls), so the JSON-null field here
 * is the document's own {@code lastActivityTime}, which is null until the twin first reports.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetQueryIntegrationTest extends PlatformTestSupport {

    private static final long SEED = 20_240_611L;
    private static final int DEVICES = 300;
    private static final int DOOMED = 5;
    private static final String INJECTION = "'; DROP TABLE twin_document; --";
    private static final String BOBBY = "Robert'); DROP TABLE twin_document;--";
    /** A tag key with quotes and braces, reachable in a query only as {@code [[...]]}. */
    private static final String ODD_KEY = "q\"u'o{t}e";
    private static final String ODD_FIELD = "tags.[[" + ODD_KEY + "]]";
    private static final List<String> TYPES = List.of("sensor", "gateway", "camera", "thermostat");
    private static final List<String> ENVIRONMENTS = List.of("prod", "staging", "dev");
    private static final List<String> SITES = List.of("north", "south", "east");
    private static final List<String> LABELS = List.of("alpha", "Alpha", "beta", "gamma", "delta-x", "café", "naïve",
            "日本", "smile😀", "o'brien", "50%off", "under_score", "");
    private static final List<String> FIRMWARE = List.of("1.0.0", "1.2.3", "2.0.0-beta", "2.1.0");
    private static final List<String> MODULE_IDS = List.of("camera-1", "edge-agent", "sensor-hub");

    @Autowired
    JdbcTemplate jdbc;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String fleet = "fleet-" + run;
    private final String prefix = "fq-" + run + "-";
    private TwinHttp api;
    /** The live device twins, in twin id order. */
    private List<Dev> devices;
    /** Device twins created and deleted again: they match many conditions and must never appear. */
    private List<Dev> doomed;
    /** The live module twins. */
    private List<Mod> modules;
    private String doomedModule;

    // ------------------------------------------------------------------------------------------------ the fleet

    /**
     * One device twin's definition. {@code env}, {@code site}, {@code flag}, {@code codes}, {@code odd} and
     * {@code temperature} are {@code null} when the twin lacks them; {@code temperature} is a Double or a String of
     * digits; a twin that never {@code reports} has no reported values and a JSON-null {@code lastActivityTime}.
     */
    record Dev(int n, String id, String building, int floor, String type, String env, int rank, double weight,
               String site, boolean siteObject, String label, Boolean flag, List<Integer> codes, String odd,
               Object temperature, String firmware, boolean reports, Integer desiredInterval,
               Integer reportedInterval) {

        ObjectNode tags(String fleet) {
            ObjectNode tags = JSON.createObjectNode();
            tags.put("fleet", fleet);
            tags.putObject("location").put("building", building).put("floor", floor);
            tags.put("deviceType", type);
            if (env != null) {
                tags.put("environment", env);
            }
            tags.put("rank", rank);
            tags.put("weight", weight);
            if (site != null) {
                if (siteObject) {
                    tags.putObject("site").put("name", site);
                } else {
                    tags.put("site", site);
                }
            }
            tags.put("label", label);
            if (flag != null) {
                tags.put("flag", flag);
            }
            if (codes != null) {
                ArrayNode array = tags.putArray("codes");
                codes.forEach(array::add);
            }
            if (odd != null) {
                tags.put(ODD_KEY, odd);
            }
            return tags;
        }

        ObjectNode desired() {
            ObjectNode desired = JSON.createObjectNode();
            if (desiredInterval != null) {
                desired.put("telemetryInterval", desiredInterval);
            }
            return desired;
        }

        ObjectNode reported() {
            ObjectNode reported = JSON.createObjectNode();
            if (!reports) {
                return reported;
            }
            if (temperature instanceof Double t) {
                reported.put("temperature", t);
            } else if (temperature instanceof String s) {
                reported.put("temperature", s);
            }
            reported.putObject("firmware").put("version", firmware);
            if (reportedInterval != null) {
                reported.put("telemetryInterval", reportedInterval);
            }
            return reported;
        }

        Double number() {
            return temperature instanceof Double t ? t : null;
        }

        String digits() {
            return temperature instanceof String s ? s : null;
        }

        String siteString() {
            return site != null && !siteObject ? site : null;
        }

        JsonNode siteJson() {
            if (site == null) {
                return null;
            }
            return siteObject ? JSON.createObjectNode().put("name", site) : JSON.getNodeFactory().textNode(site);
        }

        boolean inSync() {
            return desiredInterval == null || desiredInterval.equals(reportedInterval);
        }
    }

    /** One module twin's definition. */
    record Mod(String deviceId, String moduleId, String kind, int rank, Integer fps) {
        String key() {
            return deviceId + "/" + moduleId;
        }

        ObjectNode tags(String fleet) {
            ObjectNode tags = JSON.createObjectNode();
            tags.put("fleet", fleet).put("kind", kind).put("rank", rank);
            return tags;
        }
    }

    private List<Dev> generate(Random r) {
        List<Dev> all = new ArrayList<>();
        for (int n = 0; n < DEVICES + DOOMED; n++) {
            boolean isDoomed = n >= DEVICES;
            String building = "b" + (1 + r.nextInt(5));
            int floor = 1 + r.nextInt(4);
            String type = TYPES.get(r.nextInt(TYPES.size()));
            String env = r.nextInt(100) < 12 ? null : ENVIRONMENTS.get(r.nextInt(ENVIRONMENTS.size()));
            int rank = r.nextInt(1000);
            double weight = n % 37 == 5 ? 12.5 : r.nextInt(5000) / 100.0;
            int siteRoll = r.nextInt(10);
            String site = siteRoll < 3 ? null : siteRoll < 5 ? SITES.get(r.nextInt(2)) : SITES.get(r.nextInt(3));
            boolean siteObject = siteRoll >= 3 && siteRoll < 5;
            String base = LABELS.get(r.nextInt(LABELS.size()));
            String label = r.nextInt(4) == 0 ? base : base + "-" + r.nextInt(5) + (r.nextBoolean() ? "-x" : "");
            if (n == 42) {
                label = INJECTION;
            } else if (n == 43) {
                label = BOBBY;
            }
            Boolean flag = r.nextInt(10) == 0 ? null : r.nextBoolean();
            List<Integer> codes = r.nextInt(100) < 15 ? List.of(r.nextInt(5), r.nextInt(5), r.nextInt(5)) : null;
            String odd = r.nextInt(10) == 0 ? "v" + r.nextInt(3) : null;
            boolean reports = n % 10 != 0;
            Object temperature = null;
            String firmware = null;
            Integer reportedInterval = null;
            if (reports) {
                int t = r.nextInt(100);
                temperature = t < 8 ? null
                        : t < 16 ? (r.nextInt(4) == 0 ? "0" + r.nextInt(10) : String.valueOf(10 + r.nextInt(30)))
                        : Math.round((12 + r.nextDouble() * 24) * 10) / 10.0;
                firmware = FIRMWARE.get(r.nextInt(FIRMWARE.size()));
                reportedInterval = r.nextInt(3) == 0 ? null : r.nextBoolean() ? 30 : 60;
            }
            Integer desiredInterval = r.nextInt(10) < 6 ? (r.nextBoolean() ? 30 : 60) : null;
            if (isDoomed) {
                type = "sensor";
                env = "prod";
            }
            all.add(new Dev(n, prefix + String.format("%04d", n), building, floor, type, env, rank, weight, site,
                    siteObject, label, flag, codes, odd, temperature, firmware, reports, desiredInterval,
                    reportedInterval));
        }
        return all;
    }

    @BeforeAll
    void createTheFleet() throws Exception {
        api = new TwinHttp(port, DATA_DIR);
        List<Dev> all = generate(new Random(SEED));
        devices = List.copyOf(all.subList(0, DEVICES));
        doomed = List.copyOf(all.subList(DEVICES, all.size()));
        List<Mod> mods = new ArrayList<>();
        for (int n = 3; n < 280; n += 7) {
            mods.add(new Mod(devices.get(n).id(), MODULE_IDS.get((n / 7) % MODULE_IDS.size()), "k" + (n % 4), n,
                    n % 2 == 0 ? 15 + n % 20 : null));
        }
        modules = List.copyOf(mods);

        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (Dev dev : all) {
                writes.add(pool.submit(() -> createDevice(dev)));
            }
            awaitAll(writes);
            for (Mod mod : modules) {
                writes.add(pool.submit(() -> createModule(mod)));
            }
            awaitAll(writes);
        } finally {
            pool.shutdownNow();
        }
        for (Dev dev : doomed) {
            assertThat(api.delete("/twins/" + dev.id()).status()).isEqualTo(204);
        }
        Mod gone = new Mod(devices.get(1).id(), "doomed-module", "k1", 1, null);
        doomedModule = gone.key();
        createModule(gone);
        assertThat(api.delete("/twins/" + gone.deviceId() + "/modules/" + gone.moduleId()).status()).isEqualTo(204);
        System.out.printf("fleet of %d device and %d module twins created in %d ms%n", all.size(), modules.size() + 1,
                (System.nanoTime() - started) / 1_000_000);
    }

    private static void awaitAll(List<Future<?>> futures) throws Exception {
        for (Future<?> future : futures) {
            future.get(120, TimeUnit.SECONDS);
        }
        futures.clear();
    }

    private void createDevice(Dev dev) {
        ObjectNode body = JSON.createObjectNode();
        body.set("tags", dev.tags(fleet));
        body.putObject("properties").set("desired", dev.desired());
        Reply created = api.put("/twins/" + dev.id(), body);
        assertThat(created.status()).as("create %s: %s", dev.id(), created).isEqualTo(201);
        if (dev.reports()) {
            Reply reported = api.patch("/twins/" + dev.id() + "/properties/reported", dev.reported());
            assertThat(reported.status()).as("report %s: %s", dev.id(), reported).isEqualTo(200);
        }
    }

    private void createModule(Mod mod) {
        String path = "/twins/" + mod.deviceId() + "/modules/" + mod.moduleId();
        ObjectNode body = JSON.createObjectNode();
        body.set("tags", mod.tags(fleet));
        Reply created = api.put(path, body);
        assertThat(created.status()).as("create %s: %s", path, created).isEqualTo(201);
        if (mod.fps() != null) {
            Reply reported = api.patch(path + "/properties/reported", JSON.createObjectNode().put("fps", mod.fps()));
            assertThat(reported.status()).as("report %s: %s", path, reported).isEqualTo(200);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private Reply query(String text, Integer pageSize, String token) {
        ObjectNode body = JSON.createObjectNode();
        body.put("query", text);
        if (pageSize != null) {
            body.put("pageSize", pageSize);
        }
        if (token != null) {
            body.put("continuationToken", token);
        } else {
            body.putNull("continuationToken");
        }
        return api.post("/query", body);
    }

    /** One page, which must be a 200 with items and a token or null. */
    private JsonNode page(String text, Integer pageSize, String token) {
        Reply reply = query(text, pageSize, token);
        assertThat(reply.status()).as("POST /query %s -> %s", text, reply).isEqualTo(200);
        assertThat(reply.contentType()).startsWith("application/json");
        JsonNode page = reply.json();
        assertThat(page.path("items").isArray()).as("items of %s", reply).isTrue();
        assertThat(page.has("continuationToken")).as("continuationToken member of %s", reply).isTrue();
        JsonNode next = page.get("continuationToken");
        assertThat(next.isNull() || next.isTextual()).as("continuationToken of %s", reply).isTrue();
        if (pageSize != null) {
            assertThat(page.get("items").size()).as("page size of %s", text).isLessThanOrEqualTo(pageSize);
        }
        return page;
    }

    private static String token(JsonNode page) {
        JsonNode next = page.get("continuationToken");
        return next == null || next.isNull() ? null : next.textValue();
    }

    /** Every result of a query, following continuation tokens to the end. */
    private List<JsonNode> all(String text, int pageSize) {
        List<JsonNode> items = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            JsonNode page = page(text, pageSize, token);
            page.get("items").forEach(items::add);
            token = token(page);
            assertThat(++pages).as("pages of %s", text).isLessThan(5000);
        } while (token != null);
        return items;
    }

    private String inFleet(String select, String condition) {
        return "SELECT " + select + " FROM devices WHERE tags.fleet = '" + fleet + "'"
                + (condition == null ? "" : " AND (" + condition + ")");
    }

    private List<String> deviceIdList(List<JsonNode> items) {
        return items.stream().map(item -> item.path("deviceId").asText(null)).toList();
    }

    /** The device twins of this fleet that satisfy {@code condition}, each at most once. */
    private Set<String> ids(String condition) {
        List<String> list = deviceIdList(all(inFleet("deviceId", condition), 1000));
        assertThat(new HashSet<>(list)).as("no twin twice for %s", condition).hasSameSizeAs(list);
        return new TreeSet<>(list);
    }

    private Set<String> expected(Predicate<Dev> predicate) {
        return devices.stream().filter(predicate).map(Dev::id).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Asserts the result set of {@code condition}, which must select some but not all twins of the fleet. */
    private void check(SoftAssertions soft, String condition, Predicate<Dev> predicate) {
        Set<String> want = expected(predicate);
        soft.assertThat(want).as("test fleet has twins both matching and not matching: %s", condition)
                .isNotEmpty().hasSizeLessThan(devices.size());
        compare(soft, condition, want);
    }

    /** Asserts the result set of {@code condition} where it may be empty or everything. */
    private void checkAny(SoftAssertions soft, String condition, Predicate<Dev> predicate) {
        compare(soft, condition, expected(predicate));
    }

    private void checkNone(SoftAssertions soft, String condition) {
        compare(soft, condition, Set.of());
    }

    private void compare(SoftAssertions soft, String condition, Set<String> want) {
        Set<String> got = ids(condition);
        if (!got.equals(want)) {
            Set<String> missing = new TreeSet<>(want);
            missing.removeAll(got);
            Set<String> extra = new TreeSet<>(got);
            extra.removeAll(want);
            soft.fail("WHERE %s: expected %d twins, got %d; missing %s; unexpected %s", condition, want.size(),
                    got.size(), describe(missing), describe(extra));
        }
    }

    private String describe(Set<String> ids) {
        Map<String, Dev> byId = devices.stream().collect(Collectors.toMap(Dev::id, d -> d));
        return ids.stream().limit(5).map(id -> {
            Dev dev = byId.get(id);
            return dev == null ? id : id + " " + dev;
        }).collect(Collectors.joining("; ", "[", ids.size() > 5 ? "; ... " + ids.size() + " in all]" : "]"));
    }

    private static String quote(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private static int codePoints(String a, String b) {
        int[] x = a.codePoints().toArray();
        int[] y = b.codePoints().toArray();
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i] != y[i]) {
                return Integer.compare(x[i], y[i]);
            }
        }
        return Integer.compare(x.length, y.length);
    }

    // ------------------------------------------------------------------------------------------------ named cases

    @Test
    void tagEquality() {
        SoftAssertions soft = new SoftAssertions();
        check(soft, "tags.deviceType = 'sensor'", d -> d.type().equals("sensor"));
        check(soft, "tags.location.building = 'b2'", d -> d.building().equals("b2"));
        check(soft, "tags.[[location]].[[building]] = \"b3\"", d -> d.building().equals("b3"));
        check(soft, "tags.location.floor = 2.0", d -> d.floor() == 2);
        check(soft, "tags.weight = 12.50", d -> d.weight() == 12.5);
        check(soft, "tags.flag = true", d -> Boolean.TRUE.equals(d.flag()));
        check(soft, "tags.flag = false", d -> Boolean.FALSE.equals(d.flag()));
        check(soft, "tags.site = 'north'", d -> "north".equals(d.siteString()));
        check(soft, "tags.site.name = 'north'", d -> d.siteObject() && d.site().equals("north"));
        check(soft, ODD_FIELD + " = 'v1'", d -> "v1".equals(d.odd()));
        check(soft, "properties.reported.firmware.version = '1.2.3'", d -> "1.2.3".equals(d.firmware()));
        check(soft, "properties.desired.telemetryInterval = 30", d -> Integer.valueOf(30).equals(d.desiredInterval()));
        check(soft, "inSync = true", Dev::inSync);
        check(soft, "inSync = false", d -> !d.inSync());
        String one = devices.get(17).id();
        check(soft, "deviceId = '" + one + "'", d -> d.id().equals(one));
        checkNone(soft, "tags.deviceType = 'Sensor'");
        checkNone(soft, "tags.rank = '" + devices.get(0).rank() + "'");
        checkNone(soft, "tags.deviceType = null");
        checkNone(soft, "tags.nothing = 'sensor'");
        soft.assertAll();
    }

    @Test
    void notEqual() {
        SoftAssertions soft = new SoftAssertions();
        check(soft, "tags.deviceType != 'sensor'", d -> !d.type().equals("sensor"));
        check(soft, "tags.environment <> 'prod'", d -> d.env() != null && !d.env().equals("prod"));
        check(soft, "tags.site != 'north'", d -> d.siteString() != null && !d.siteString().equals("north"));
        check(soft, "tags.flag != true", d -> Boolean.FALSE.equals(d.flag()));
        check(soft, "properties.reported.temperature != 20", d -> d.reports() && d.temperature() != null
                && !Objects.equals(d.number(), 20.0));
        checkAny(soft, "tags.rank != 'x'", d -> true);
        checkAny(soft, "tags.deviceType != null", d -> true);
        checkNone(soft, "tags.nothing != 'x'");
        checkNone(soft, "tags.location != 'b1'");
        soft.assertAll();
    }

    @Test
    void rangesOnAReportedNumber() {
        SoftAssertions soft = new SoftAssertions();
        check(soft, "properties.reported.temperature >= 20 AND properties.reported.temperature < 25.5",
                d -> d.number() != null && d.number() >= 20 && d.number() < 25.5);
        check(soft, "properties.reported.temperature > 30", d -> d.number() != null && d.number() > 30);
        check(soft, "properties.reported.temperature <= 15.5", d -> d.number() != null && d.number() <= 15.5);
        check(soft, "NOT (properties.reported.temperature < 20)", d -> d.number() != null && d.number() >= 20);
        check(soft, "properties.reported.temperature <= '2'", d -> d.digits() != null && d.digits().compareTo("2") <= 0);
        check(soft, "properties.reported.temperature > '2'", d -> d.digits() != null && d.digits().compareTo("2") > 0);
        check(soft, "tags.rank >= 100 AND tags.rank <= 199", d -> d.rank() >= 100 && d.rank() <= 199);
        check(soft, "tags.weight < 12.5", d -> d.weight() < 12.5);
        check(soft, "tags.label >= 'beta' AND tags.label < 'gamma'",
                d -> codePoints(d.label(), "beta") >= 0 && codePoints(d.label(), "gamma") < 0);
        check(soft, "tags.label > 'z'", d -> codePoints(d.label(), "z") > 0);
        checkNone(soft, "tags.location > 'a'");
        checkNone(soft, "NOT (tags.location > 'a')");
        checkNone(soft, "tags.deviceType > 5");
        checkNone(soft, "NOT (tags.deviceType > 5)");
        soft.assertAll();
    }

    @Test
    void inAndNin() {
        SoftAssertions soft = new SoftAssertions();
        check(soft, "tags.deviceType IN ['sensor', 'camera']", d -> Set.of("sensor", "camera").contains(d.type()));
        check(soft, "tags.location.floor IN [1, 3.0]", d -> d.floor() == 1 || d.floor() == 3);
        check(soft, "tags.environment IN ['prod', 7, true, null]", d -> "prod".equals(d.env()));
        // NIN never selects a twin that lacks the field, or holds an object there.
        check(soft, "tags.environment NIN ['prod', 'dev']", d -> "staging".equals(d.env()));
        check(soft, "tags.site NIN ['north']", d -> d.siteString() != null && !d.siteString().equals("north"));
        check(soft, "properties.reported.temperature NIN ['12', 20.5]", d -> d.temperature() != null
                && !"12".equals(d.temperature()) && !Objects.equals(d.number(), 20.5));
        check(soft, "NOT (tags.environment IN ['prod'])", d -> d.env() != null && !d.env().equals("prod"));
        check(soft, "tags.environment NIN []", d -> d.env() != null);
        checkAny(soft, "tags.deviceType NIN []", d -> true);
        checkNone(soft, "tags.deviceType IN []");
        checkNone(soft, "tags.location NIN ['b1']");
        checkNone(soft, "tags.location IN ['b1']");
        checkNone(soft, "tags.nothing NIN ['x']");
        assertThat(devices).anyMatch(d -> d.env() == null);
        soft.assertAll();
    }

    @Test
    void definedNullAndTypeTests() {
        SoftAssertions soft = new SoftAssertions();
        // lastActivityTime is JSON null until a twin reports: defined, and null.
        checkAny(soft, "IS_DEFINED(lastActivityTime)", d -> true);
        check(soft, "IS_NULL(lastActivityTime)", d -> !d.reports());
        check(soft, "lastActivityTime = null", d -> !d.reports());
        check(soft, "lastActivityTime != null", Dev::reports);
        check(soft, "NOT IS_NULL(lastActivityTime)", Dev::reports);
        check(soft, "lastActivityTime IN [null]", d -> !d.reports());
        check(soft, "lastActivityTime NIN [null]", Dev::reports);
        check(soft, "IS_STRING(lastActivityTime)", Dev::reports);
        check(soft, "IS_PRIMITIVE(lastActivityTime) AND NOT IS_STRING(lastActivityTime)", d -> !d.reports());
        check(soft, "IS_DEFINED(tags.environment)", d -> d.env() != null);
        check(soft, "NOT IS_DEFINED(tags.environment)", d -> d.env() == null);
        checkNone(soft, "IS_NULL(tags.environment)");
        checkNone(soft, "IS_DEFINED(tags.nothing)");
        check(soft, "IS_OBJECT(tags.site)", Dev::siteObject);
        check(soft, "IS_STRING(tags.site)", d -> d.siteString() != null);
        check(soft, "IS_PRIMITIVE(tags.site)", d -> d.siteString() != null);
        check(soft, "IS_ARRAY(tags.codes)", d -> d.codes() != null);
        check(soft, "IS_NUMBER(properties.reported.temperature)", d -> d.number() != null);
        check(soft, "IS_STRING(properties.reported.temperature)", d -> d.digits() != null);
        check(soft, "IS_BOOL(tags.flag)", d -> d.flag() != null);
        check(soft, "IS_DEFINED(" + ODD_FIELD + ")", d -> d.odd() != null);
        check(soft, "IS_OBJECT(properties.reported.firmware)", Dev::reports);
        // On device twins moduleId is null.
        checkAny(soft, "IS_NULL(moduleId)", d -> true);
        checkAny(soft, "moduleId = null", d -> true);
        soft.assertAll();
    }

    @Test
    void anObjectComparedWithAStringMatchesNothingNotEvenNegated() {
        assertThat(devices).anyMatch(d -> d.siteObject() && d.site().equals("north"));
        SoftAssertions soft = new SoftAssertions();
        checkNone(soft, "IS_OBJECT(tags.site) AND tags.site = 'north'");
        checkNone(soft, "IS_OBJECT(tags.site) AND NOT (tags.site = 'north')");
        checkNone(soft, "IS_OBJECT(tags.site) AND tags.site != 'north'");
        checkNone(soft, "IS_OBJECT(tags.site) AND NOT (tags.site != 'north')");
        checkNone(soft, "IS_OBJECT(tags.site) AND (tags.site IN ['north'] OR tags.site NIN ['north'])");
        checkNone(soft, "tags.location = 'b1'");
        checkNone(soft, "NOT (tags.location = 'b1')");
        checkNone(soft, "NOT NOT NOT (tags.location = 'b1')");
        checkNone(soft, "properties.reported.firmware = '1.2.3'");
        checkNone(soft, "NOT (properties.reported.firmware = '1.2.3')");
        check(soft, "tags.site = 'north' OR NOT (tags.site = 'north')", d -> d.siteString() != null);
        soft.assertAll();
    }

    @Test
    void stringFunctions() {
        SoftAssertions soft = new SoftAssertions();
        check(soft, "STARTS_WITH(tags.label, 'alpha')", d -> d.label().startsWith("alpha"));
        check(soft, "starts_with(tags.label, 'Al')", d -> d.label().startsWith("Al"));
        check(soft, "ENDS_WITH(tags.label, '-x')", d -> d.label().endsWith("-x"));
        check(soft, "CONTAINS(tags.label, 'o''b')", d -> d.label().contains("o'b"));
        check(soft, "CONTAINS(tags.label, 'é')", d -> d.label().contains("é"));
        check(soft, "ENDS_WITH(tags.label, '本')", d -> d.label().endsWith("本"));
        check(soft, "ENDS_WITH(tags.label, 'e😀')", d -> d.label().endsWith("e😀"));
        check(soft, "CONTAINS(tags.label, '😀-')", d -> d.label().contains("😀-"));
        check(soft, "STARTS_WITH(tags.label, '50%')", d -> d.label().startsWith("50%"));
        check(soft, "CONTAINS(tags.label, '_')", d -> d.label().contains("_"));
        check(soft, "CONTAINS(tags.label, '%')", d -> d.label().contains("%"));
        check(soft, "NOT STARTS_WITH(tags.label, 'alpha')", d -> !d.label().startsWith("alpha"));
        check(soft, "STARTS_WITH(properties.reported.temperature, '2')",
                d -> d.digits() != null && d.digits().startsWith("2"));
        check(soft, "ENDS_WITH(properties.reported.firmware.version, '-beta')",
                d -> d.firmware() != null && d.firmware().endsWith("-beta"));
        check(soft, "STARTS_WITH(tags.site, 'no')", d -> d.siteString() != null && d.siteString().startsWith("no"));
        checkAny(soft, "STARTS_WITH(tags.label, '')", d -> true);
        checkAny(soft, "ENDS_WITH(tags.label, '')", d -> true);
        checkAny(soft, "CONTAINS(tags.label, '')", d -> true);
        check(soft, "tags.label = ''", d -> d.label().isEmpty());
        checkNone(soft, "STARTS_WITH(tags.rank, '1')");
        checkNone(soft, "NOT STARTS_WITH(tags.rank, '1')");
        checkNone(soft, "IS_OBJECT(tags.site) AND NOT CONTAINS(tags.site, 'x')");
        checkNone(soft, "ENDS_WITH(tags.nothing, '')");
        soft.assertAll();
    }

    @Test
    void andOrNotWithParentheses() {
        SoftAssertions soft = new SoftAssertions();
        check(soft, "(tags.deviceType = 'sensor' OR tags.deviceType = 'camera')"
                        + " AND NOT (tags.location.building = 'b1' OR tags.rank > 500)",
                d -> (d.type().equals("sensor") || d.type().equals("camera"))
                        && !d.building().equals("b1") && d.rank() <= 500);
        // Three values: a twin without an environment is undefined for the comparison.
        check(soft, "NOT (tags.environment = 'prod' OR tags.deviceType = 'sensor')",
                d -> !d.type().equals("sensor") && d.env() != null && !d.env().equals("prod"));
        check(soft, "NOT (tags.environment = 'prod' AND tags.deviceType = 'sensor')",
                d -> !d.type().equals("sensor") || d.env() != null && !d.env().equals("prod"));
        check(soft, "tags.environment = 'prod' OR tags.deviceType = 'sensor'",
                d -> "prod".equals(d.env()) || d.type().equals("sensor"));
        // AND binds tighter than OR.
        check(soft, "tags.deviceType = 'gateway' OR tags.environment = 'dev' AND tags.rank < 300",
                d -> d.type().equals("gateway") || "dev".equals(d.env()) && d.rank() < 300);
        check(soft, "(tags.deviceType = 'gateway' OR tags.environment = 'dev') AND tags.rank < 300",
                d -> (d.type().equals("gateway") || "dev".equals(d.env())) && d.rank() < 300);
        check(soft, "NOT NOT (tags.environment = 'prod')", d -> "prod".equals(d.env()));
        check(soft, "not (not (tags.environment != 'prod')) and tags.flag = true",
                d -> d.env() != null && !d.env().equals("prod") && Boolean.TRUE.equals(d.flag()));
        check(soft, "NOT (tags.site = 'north' OR properties.reported.temperature > 25)",
                d -> d.siteString() != null && !d.siteString().equals("north")
                        && d.number() != null && d.number() <= 25);
        check(soft, "NOT (IS_DEFINED(tags.environment) AND tags.rank > 100)",
                d -> d.env() == null || d.rank() <= 100);
        check(soft, "((((tags.location.floor = 1))))", d -> d.floor() == 1);
        soft.assertAll();
    }

    @Test
    void moduleTwins() {
        List<JsonNode> items = all("SELECT deviceId, moduleId FROM devices.modules WHERE tags.fleet = '" + fleet
                + "' AND moduleId = 'camera-1'", 1000);
        Set<String> got = items.stream().map(i -> i.path("deviceId").asText() + "/" + i.path("moduleId").asText())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> want = modules.stream().filter(m -> m.moduleId().equals("camera-1")).map(Mod::key)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(want).isNotEmpty();
        assertThat(got).isEqualTo(want);
        assertThat(items).hasSameSizeAs(want);

        List<JsonNode> whole = all("SELECT * FROM devices.modules WHERE tags.fleet = '" + fleet + "'", 1000);
        assertThat(whole.stream().map(i -> i.path("deviceId").asText() + "/" + i.path("moduleId").asText()))
                .containsExactlyInAnyOrderElementsOf(modules.stream().map(Mod::key).toList())
                .doesNotContain(doomedModule);
        assertThat(whole).allMatch(i -> i.path("moduleId").isTextual());

        Mod some = modules.get(4);
        assertThat(all("SELECT moduleId FROM devices.modules WHERE deviceId = '" + some.deviceId() + "'", 100))
                .extracting(i -> i.path("moduleId").asText()).containsExactly(some.moduleId());
        assertThat(all("SELECT deviceId FROM devices.modules WHERE tags.fleet = '" + fleet
                + "' AND properties.reported.fps >= 20", 1000)).extracting(i -> i.path("deviceId").asText())
                .containsExactlyInAnyOrderElementsOf(modules.stream()
                        .filter(m -> m.fps() != null && m.fps() >= 20).map(Mod::deviceId).toList());
        // Device queries never see module twins, and module queries never see device twins.
        assertThat(ids("moduleId = 'camera-1'")).isEmpty();
        assertThat(all("SELECT * FROM devices.modules WHERE deviceId = '" + devices.get(0).id() + "'", 10)).isEmpty();
        assertThat(all("SELECT * FROM devices.modules WHERE tags.fleet = '" + fleet + "' AND IS_NULL(moduleId)",
                10)).isEmpty();
    }

    @Test
    void selectTop() {
        SoftAssertions soft = new SoftAssertions();
        List<String> sorted = devices.stream().map(Dev::id).toList();
        JsonNode five = page(inFleet("TOP 5 deviceId", null), 100, null);
        soft.assertThat(deviceIdList(listOf(five.get("items")))).containsExactlyElementsOf(sorted.subList(0, 5));
        soft.assertThat(token(five)).as("TOP 5 in one page of 100 is the last page: no continuation token").isNull();

        // TOP counts over all pages: 10 results in pages of 3, 3, 3, 1.
        String topTen = inFleet("TOP 10 deviceId", null);
        List<Integer> sizes = new ArrayList<>();
        List<JsonNode> items = new ArrayList<>();
        String token = null;
        do {
            JsonNode page = page(topTen, 3, token);
            sizes.add(page.get("items").size());
            page.get("items").forEach(items::add);
            token = token(page);
        } while (token != null && sizes.size() < 20);
        soft.assertThat(deviceIdList(items)).containsExactlyElementsOf(sorted.subList(0, 10));
        soft.assertThat(sizes).as("page sizes of TOP 10 in pages of 3; the page that reaches TOP is the last")
                .containsExactly(3, 3, 3, 1);

        soft.assertThat(deviceIdList(all(inFleet("TOP 100000 deviceId", null), 1000))).containsExactlyElementsOf(sorted);

        List<String> byRank = devices.stream()
                .sorted(Comparator.comparingInt(Dev::rank).reversed().thenComparing(Dev::id))
                .map(Dev::id).limit(3).toList();
        soft.assertThat(deviceIdList(all(inFleet("TOP 3 deviceId, tags.rank", null) + " ORDER BY tags.rank DESC", 2)))
                .containsExactlyElementsOf(byRank);
        soft.assertAll();
    }

    private static List<JsonNode> listOf(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list;
    }

    @Test
    void projectedFieldsWithAliases() {
        List<JsonNode> items = all(inFleet("deviceId, tags.location.building AS b, properties.reported.temperature,"
                + " tags.environment AS env, tags.site, " + ODD_FIELD + " AS [[o'dd \"key\"]],"
                + " properties.reported.firmware.version AS fw", null), 1000);
        assertThat(items).hasSize(devices.size());
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < devices.size(); i++) {
            Dev d = devices.get(i);
            ObjectNode want = JSON.createObjectNode();
            want.put("deviceId", d.id());
            want.put("b", d.building());
            if (d.number() != null) {
                want.put("temperature", d.number());
            } else if (d.digits() != null) {
                want.put("temperature", d.digits());
            }
            if (d.env() != null) {
                want.put("env", d.env());
            }
            if (d.site() != null) {
                want.set("site", d.siteJson());
            }
            if (d.odd() != null) {
                want.put("o'dd \"key\"", d.odd());
            }
            if (d.firmware() != null) {
                want.put("fw", d.firmware());
            }
            soft.assertThat(items.get(i)).as("item %d", i).isEqualTo(want);
        }
        soft.assertAll();

        // A whole object, the virtual inSync, and a field no twin has (omitted from every item).
        List<JsonNode> more = all(inFleet("tags.location, inSync AS synced, tags.nothing", null), 1000);
        for (int i = 0; i < devices.size(); i++) {
            Dev d = devices.get(i);
            ObjectNode want = JSON.createObjectNode();
            want.putObject("location").put("building", d.building()).put("floor", d.floor());
            want.put("synced", d.inSync());
            assertThat(more.get(i)).as("item %d", i).isEqualTo(want);
        }
    }

    @Test
    void selectStarGivesWholeTwinDocuments() {
        List<JsonNode> items = all(inFleet("*", "tags.rank < 100"), 1000);
        assertThat(items).isNotEmpty();
        for (JsonNode item : items.subList(0, Math.min(8, items.size()))) {
            Reply read = api.get("/twins/" + item.path("deviceId").asText());
            assertThat(read.status()).isEqualTo(200);
            assertThat(item).isEqualTo(read.json());
        }
    }

    // ------------------------------------------------------------------------------------------------ aggregates

    private static BigDecimal dec(double value) {
        return BigDecimal.valueOf(value);
    }

    private static void assertNumber(SoftAssertions soft, JsonNode actual, BigDecimal expected, String what) {
        if (expected == null) {
            soft.assertThat(actual).as("%s is undefined", what).isNull();
            return;
        }
        soft.assertThat(actual).as("%s", what).isNotNull();
        if (actual != null) {
            soft.assertThat(actual.isNumber()).as("%s is a number: %s", what, actual).isTrue();
            soft.assertThat(actual.decimalValue().doubleValue()).as("%s", what)
                    .isCloseTo(expected.doubleValue(), within(1e-9 * Math.max(1, Math.abs(expected.doubleValue()))));
        }
    }

    private record Stats(long count, BigDecimal sum, BigDecimal min, BigDecimal max) {
        static Stats of(List<Double> values) {
            BigDecimal sum = null;
            BigDecimal min = null;
            BigDecimal max = null;
            for (double v : values) {
                BigDecimal d = dec(v);
                sum = sum == null ? d : sum.add(d);
                min = min == null || d.compareTo(min) < 0 ? d : min;
                max = max == null || d.compareTo(max) > 0 ? d : max;
            }
            return new Stats(values.size(), sum, min, max);
        }

        BigDecimal avg() {
            return count == 0 ? null : sum.divide(BigDecimal.valueOf(count), MathContext.DECIMAL64);
        }
    }

    @Test
    void aggregatesOverTheWholeFleet() {
        String text = inFleet("COUNT(), AVG(properties.reported.temperature), SUM(properties.reported.temperature),"
                + " MIN(properties.reported.temperature), MAX(properties.reported.temperature)", null);
        JsonNode page = page(text, 100, null);
        assertThat(page.get("items")).hasSize(1);
        assertThat(token(page)).isNull();
        JsonNode item = page.get("items").get(0);
        Stats temps = Stats.of(devices.stream().map(Dev::number).filter(Objects::nonNull).toList());
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(item.path("$1").asLong(-1)).isEqualTo(devices.size());
        assertNumber(soft, item.get("$2"), temps.avg(), "AVG");
        assertNumber(soft, item.get("$3"), temps.sum(), "SUM");
        assertNumber(soft, item.get("$4"), temps.min(), "MIN");
        assertNumber(soft, item.get("$5"), temps.max(), "MAX");
        soft.assertThat(item.size()).isEqualTo(5);

        // Named, mixed with unnamed ($n counts the unnamed ones), and over strings only (no number: undefined).
        JsonNode named = page(inFleet("COUNT() AS n, MAX(tags.rank), AVG(tags.label) AS a, SUM(tags.weight)",
                "tags.deviceType = 'camera'"), 10, null).get("items").get(0);
        List<Dev> cameras = devices.stream().filter(d -> d.type().equals("camera")).toList();
        soft.assertThat(named.path("n").asLong()).isEqualTo(cameras.size());
        soft.assertThat(named.path("$1").asLong()).isEqualTo(cameras.stream().mapToInt(Dev::rank).max().orElseThrow());
        soft.assertThat(named.has("a")).as("AVG of strings is undefined: %s", named).isFalse();
        assertNumber(soft, named.get("$2"), Stats.of(cameras.stream().map(Dev::weight).toList()).sum(), "SUM weight");

        // No twin at all: one result, COUNT 0, the others undefined.
        JsonNode none = page("SELECT COUNT(), AVG(tags.rank) AS a FROM devices WHERE tags.fleet = 'no-such-fleet-"
                + run + "'", 10, null);
        soft.assertThat(none.get("items")).hasSize(1);
        soft.assertThat(none.get("items").get(0)).isEqualTo(JSON.createObjectNode().put("$1", 0));
        soft.assertAll();
    }

    @Test
    void aggregatesGroupedByOneField() {
        String text = inFleet("tags.deviceType, COUNT() AS n, AVG(tags.weight) AS w, SUM(tags.rank) AS s,"
                + " MIN(properties.reported.temperature) AS lo, MAX(properties.reported.temperature) AS hi", null)
                + " GROUP BY tags.deviceType";
        List<JsonNode> items = all(text, 1000);
        Map<String, List<Dev>> groups = devices.stream().collect(Collectors.groupingBy(Dev::type, TreeMap::new,
                Collectors.toList()));
        assertThat(items.stream().map(i -> i.path("deviceType").asText()).toList())
                .as("one result per group, in group order").containsExactlyElementsOf(groups.keySet());
        SoftAssertions soft = new SoftAssertions();
        for (JsonNode item : items) {
            List<Dev> group = groups.get(item.path("deviceType").asText());
            Stats weights = Stats.of(group.stream().map(Dev::weight).toList());
            Stats temps = Stats.of(group.stream().map(Dev::number).filter(Objects::nonNull).toList());
            String type = item.path("deviceType").asText();
            soft.assertThat(item.path("n").asLong()).as("count of %s", type).isEqualTo(group.size());
            assertNumber(soft, item.get("w"), weights.avg(), "avg weight of " + type);
            soft.assertThat(item.path("s").asLong()).as("sum of %s", type)
                    .isEqualTo(group.stream().mapToLong(Dev::rank).sum());
            assertNumber(soft, item.get("lo"), temps.min(), "min of " + type);
            assertNumber(soft, item.get("hi"), temps.max(), "max of " + type);
        }
        soft.assertAll();
    }

    @Test
    void aggregatesGroupedByTwoFieldsIncludingAnUndefinedGroup() {
        String text = inFleet("tags.location.building AS building, tags.environment, COUNT() AS n,"
                + " AVG(tags.rank) AS r", null) + " GROUP BY tags.location.building, tags.environment";
        List<JsonNode> items = all(text, 1000);
        // Expected groups in group-key order; an undefined environment sorts last and is left out of the result.
        Comparator<String> undefinedLast = Comparator.nullsLast(Comparator.naturalOrder());
        Map<List<String>, List<Dev>> groups = new TreeMap<>(Comparator
                .<List<String>, String>comparing(k -> k.get(0)).thenComparing(k -> k.get(1), undefinedLast));
        for (Dev d : devices) {
            groups.computeIfAbsent(Arrays.asList(d.building(), d.env()), k -> new ArrayList<>()).add(d);
        }
        List<List<String>> keys = items.stream().map(i -> Arrays.asList(i.path("building").asText(null),
                i.has("environment") ? i.get("environment").asText() : null)).toList();
        assertThat(keys).containsExactlyElementsOf(groups.keySet());
        assertThat(keys).anyMatch(k -> k.get(1) == null);
        SoftAssertions soft = new SoftAssertions();
        for (JsonNode item : items) {
            List<Dev> group = groups.get(Arrays.asList(item.path("building").asText(null),
                    item.has("environment") ? item.get("environment").asText() : null));
            soft.assertThat(item.path("n").asLong()).as("count of %s", item).isEqualTo(group.size());
            assertNumber(soft, item.get("r"), Stats.of(group.stream().map(d -> (double) d.rank()).toList()).avg(),
                    "avg rank of " + item);
            soft.assertThat(item.size()).as("members of %s", item).isEqualTo(item.has("environment") ? 4 : 3);
        }
        soft.assertAll();
    }

    @Test
    void groupsOfMixedTypesAndOrderedByAnAggregate() {
        List<JsonNode> sites = all(inFleet("tags.site, COUNT() AS n", null) + " GROUP BY tags.site", 1000);
        Map<JsonNode, Long> want = new HashMap<>();
        for (Dev d : devices) {
            want.merge(d.site() == null ? JSON.missingNode() : d.siteJson(), 1L, Long::sum);
        }
        Map<JsonNode, Long> got = new HashMap<>();
        for (JsonNode item : sites) {
            assertThat(got.put(item.has("site") ? item.get("site") : JSON.missingNode(), item.path("n").asLong()))
                    .as("group %s once", item).isNull();
        }
        assertThat(got).isEqualTo(want);
        assertThat(sites.get(sites.size() - 1).has("site")).as("the undefined group is last").isFalse();

        List<JsonNode> byCount = all(inFleet("tags.location.building AS b, COUNT() AS n", null)
                + " GROUP BY tags.location.building ORDER BY COUNT() DESC", 1000);
        Map<String, Long> counts = devices.stream().collect(Collectors.groupingBy(Dev::building,
                Collectors.counting()));
        List<String> order = counts.keySet().stream()
                .sorted(Comparator.<String>comparingLong(counts::get).reversed().thenComparing(b -> b)).toList();
        assertThat(byCount.stream().map(i -> i.path("b").asText()).toList()).containsExactlyElementsOf(order);
        assertThat(byCount.stream().map(i -> i.path("n").asLong()).toList())
                .containsExactlyElementsOf(order.stream().map(counts::get).toList());
    }

    // ------------------------------------------------------------------------------------------------ ORDER BY

    private List<String> ordered(String select, String orderBy, int pageSize) {
        return deviceIdList(all(inFleet(select, null) + " ORDER BY " + orderBy, pageSize));
    }

    private List<String> sortedIds(Comparator<Dev> order) {
        return devices.stream().sorted(order.thenComparing(Dev::id)).map(Dev::id).toList();
    }

    @Test
    void orderByAscendingAndDescending() {
        assertThat(ordered("deviceId, tags.rank", "tags.rank", 1000))
                .containsExactlyElementsOf(sortedIds(Comparator.comparingInt(Dev::rank)));
        assertThat(ordered("deviceId, tags.rank", "tags.rank ASC", 7))
                .containsExactlyElementsOf(sortedIds(Comparator.comparingInt(Dev::rank)));
        assertThat(ordered("deviceId", "tags.rank DESC", 1000))
                .containsExactlyElementsOf(sortedIds(Comparator.comparingInt(Dev::rank).reversed()));
        assertThat(ordered("deviceId", "tags.rank DESC", 13))
                .containsExactlyElementsOf(sortedIds(Comparator.comparingInt(Dev::rank).reversed()));
        // Strings in code point order, whatever the database's collation.
        assertThat(ordered("deviceId", "tags.label", 1000))
                .containsExactlyElementsOf(sortedIds((a, b) -> codePoints(a.label(), b.label())));
        assertThat(ordered("deviceId", "tags.label DESC", 11))
                .containsExactlyElementsOf(sortedIds((a, b) -> codePoints(b.label(), a.label())));
        // Undefined last, ascending and descending.
        Comparator<Dev> envAsc = Comparator.comparing(Dev::env, Comparator.nullsLast(Comparator.naturalOrder()));
        Comparator<Dev> envDesc = Comparator.comparing(Dev::env, Comparator.nullsLast(Comparator.reverseOrder()));
        assertThat(ordered("deviceId", "tags.environment", 1000)).containsExactlyElementsOf(sortedIds(envAsc));
        assertThat(ordered("deviceId", "tags.environment DESC", 9)).containsExactlyElementsOf(sortedIds(envDesc));
        // Two keys.
        assertThat(ordered("deviceId", "tags.location.building ASC, tags.weight DESC", 17))
                .containsExactlyElementsOf(sortedIds(Comparator.comparing(Dev::building)
                        .thenComparing(Comparator.comparingDouble(Dev::weight).reversed())));

        // Mixed types: the numbers among themselves and the strings among themselves are in order, undefined last.
        for (boolean descending : new boolean[]{false, true}) {
            List<String> ids = ordered("deviceId", "properties.reported.temperature" + (descending ? " DESC" : ""), 10);
            assertThat(ids).hasSize(devices.size()).doesNotHaveDuplicates();
            Map<String, Dev> byId = devices.stream().collect(Collectors.toMap(Dev::id, d -> d));
            List<Dev> seq = ids.stream().map(byId::get).toList();
            int firstUndefined = seq.size();
            for (int i = 0; i < seq.size(); i++) {
                if (seq.get(i).temperature() == null) {
                    firstUndefined = i;
                    break;
                }
            }
            List<Dev> undefined = seq.subList(firstUndefined, seq.size());
            assertThat(undefined).as("undefined last").allMatch(d -> d.temperature() == null);
            assertThat(undefined.stream().map(Dev::id).toList()).isSorted();
            List<Double> numbers = seq.stream().map(Dev::number).filter(Objects::nonNull).toList();
            List<String> strings = seq.stream().map(Dev::digits).filter(Objects::nonNull).toList();
            Comparator<Double> numberOrder = descending ? Comparator.reverseOrder() : Comparator.naturalOrder();
            Comparator<String> stringOrder = descending ? Comparator.reverseOrder() : Comparator.naturalOrder();
            assertThat(numbers).isSortedAccordingTo(numberOrder);
            assertThat(strings).isSortedAccordingTo(stringOrder);
        }
    }

    // ------------------------------------------------------------------------------------------------ deleted

    @Test
    void aDeletedTwinNeverAppears() {
        String doomedIds = doomed.stream().map(d -> quote(d.id())).collect(Collectors.joining(", "));
        assertThat(all("SELECT * FROM devices WHERE deviceId IN [" + doomedIds + "]", 100)).isEmpty();
        assertThat(all("SELECT * FROM devices WHERE deviceId = '" + doomed.get(0).id() + "'", 100)).isEmpty();
        assertThat(page(inFleet("COUNT() AS n", null), 10, null).get("items").get(0).path("n").asLong())
                .isEqualTo(devices.size());
        assertThat(ids("tags.deviceType = 'sensor' AND tags.environment = 'prod'"))
                .isEqualTo(expected(d -> d.type().equals("sensor") && "prod".equals(d.env())));
        Set<String> everything = new HashSet<>(deviceIdList(all("SELECT deviceId FROM devices", 1000)));
        doomed.forEach(d -> assertThat(everything).doesNotContain(d.id()));
        assertThat(all("SELECT deviceId, moduleId FROM devices.modules WHERE moduleId = 'doomed-module'", 100))
                .isEmpty();
        assertThat(page("SELECT tags.deviceType, COUNT() AS n FROM devices WHERE tags.fleet = '" + fleet
                + "' AND tags.deviceType = 'sensor' GROUP BY tags.deviceType", 10, null).get("items").get(0)
                .path("n").asLong()).isEqualTo(devices.stream().filter(d -> d.type().equals("sensor")).count());
    }

    // ------------------------------------------------------------------------------------------------ paging

    @Test
    void pagingGivesEveryTwinOnceInTwinIdOrder() {
        String text = inFleet("*", null);
        List<JsonNode> items = new ArrayList<>();
        String token = null;
        List<Integer> sizes = new ArrayList<>();
        do {
            JsonNode page = page(text, 7, token);
            sizes.add(page.get("items").size());
            page.get("items").forEach(items::add);
            token = token(page);
        } while (token != null && sizes.size() < 1000);
        assertThat(deviceIdList(items)).containsExactlyElementsOf(devices.stream().map(Dev::id).toList());
        assertThat(sizes.subList(0, sizes.size() - 1)).allMatch(size -> size == 7);
        assertThat(sizes.get(sizes.size() - 1)).isBetween(1, 7);

        // Each whole document is the twin as defined here.
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < devices.size(); i++) {
            Dev d = devices.get(i);
            JsonNode doc = items.get(i);
            soft.assertThat(doc.path("tags")).as("tags of %s", d.id()).isEqualTo(d.tags(fleet));
            soft.assertThat(values(doc.path("properties").path("reported"))).as("reported of %s", d.id())
                    .isEqualTo(d.reported());
            soft.assertThat(values(doc.path("properties").path("desired"))).as("desired of %s", d.id())
                    .isEqualTo(d.desired());
            soft.assertThat(doc.path("lastActivityTime").isNull()).as("lastActivityTime of %s", d.id())
                    .isEqualTo(!d.reports());
            soft.assertThat(doc.get("moduleId").isNull()).isTrue();
        }
        soft.assertAll();
    }

    @Test
    void pagingGroupsOneAtATimeGivesEveryGroupOnce() {
        List<String> queries = List.of(
                inFleet("tags.deviceType, COUNT() AS n", null) + " GROUP BY tags.deviceType",
                inFleet("tags.location.building, tags.environment, COUNT() AS n", null)
                        + " GROUP BY tags.location.building, tags.environment",
                inFleet("tags.site, COUNT() AS n", null) + " GROUP BY tags.site",
                inFleet("tags.location.floor, COUNT() AS n", null) + " GROUP BY tags.location.floor ORDER BY COUNT() DESC",
                inFleet("tags.deviceType, AVG(tags.weight) AS w", null)
                        + " GROUP BY tags.deviceType ORDER BY AVG(tags.weight)",
                inFleet("tags.location.building, AVG(properties.reported.temperature) AS t", null)
                        + " GROUP BY tags.location.building ORDER BY AVG(properties.reported.temperature) DESC");
        SoftAssertions soft = new SoftAssertions();
        for (String text : queries) {
            List<JsonNode> whole = all(text, 1000);
            soft.assertThat(whole).as("%s", text).hasSizeGreaterThan(2);
            // One group per page; stop once more pages than groups were served (a repeat never ends otherwise).
            List<JsonNode> single = new ArrayList<>();
            String token = null;
            do {
                JsonNode page = page(text, 1, token);
                page.get("items").forEach(single::add);
                token = token(page);
            } while (token != null && single.size() <= whole.size() + 2);
            List<JsonNode> shown = single.subList(0, Math.min(single.size(), whole.size() + 3));
            soft.assertThat(token).as("paging %s one group at a time ends after %d groups; got %s", text,
                    whole.size(), shown).isNull();
            soft.assertThat(new HashSet<>(single)).as("each group once: %s; got %s", text, shown)
                    .hasSameSizeAs(single);
            soft.assertThat(single).as("groups one at a time: %s", text).containsExactlyElementsOf(whole);
        }
        soft.assertAll();
    }

    // ------------------------------------------------------------------------------------------------ arrays

    /**
     * A field path goes through objects only (QueryEvaluator.value): a name that looks like an index does not pick
     * an array element, so {@code tags.codes.[[0]]} is undefined for every twin.
     */
    @Test
    void arrayElementsAreNotFields() {
        assertThat(devices).anyMatch(d -> d.codes() != null);
        SoftAssertions soft = new SoftAssertions();
        checkNone(soft, "IS_DEFINED(tags.codes.[[0]])");
        checkNone(soft, "tags.codes.[[0]] != 99");
        checkNone(soft, "NOT (tags.codes.[[0]] = 99)");
        checkNone(soft, "tags.codes.[[0]] >= 0");
        checkNone(soft, "tags.codes.[[-1]] NIN [99]");
        checkNone(soft, "IS_NUMBER(tags.codes.[[1]])");
        List<JsonNode> items = all(inFleet("deviceId, tags.codes.[[0]] AS first", "IS_ARRAY(tags.codes)"), 1000);
        soft.assertThat(items.stream().filter(item -> item.has("first")).map(JsonNode::toString).limit(5).toList())
                .as("SELECT tags.codes.[[0]] AS first: undefined, so no item has 'first'").isEmpty();
        for (JsonNode doc : all(inFleet("*", "IS_ARRAY(tags.codes)"), 1000)) {
            String q = inFleet("deviceId", "tags.codes.[[0]] != 99");
            soft.assertThat(TwinQuery.parse(q).matches(doc)).as("reference semantics").isFalse();
        }
        soft.assertAll();
    }

    // ------------------------------------------------------------------------------------------------ differential

    @Test
    void sqlAgreesWithTheReferenceEvaluatorOnRandomConditions() {
        List<JsonNode> deviceDocs = all(inFleet("*", null), 1000);
        List<JsonNode> moduleDocs = all("SELECT * FROM devices.modules WHERE tags.fleet = '" + fleet + "'", 1000);
        assertThat(deviceDocs).hasSize(devices.size());
        assertThat(moduleDocs).hasSize(modules.size());
        ConditionGenerator generator = new ConditionGenerator(new Random(SEED + 2), devices);
        List<String> failures = new ArrayList<>();
        int checked = 0;
        int nonTrivial = 0;
        for (int i = 0; i < 300; i++) {
            boolean onModules = i % 6 == 5;
            String condition = generator.condition(onModules);
            for (String where : List.of("(" + condition + ")", "NOT (" + condition + ")")) {
                String text = onModules
                        ? "SELECT deviceId, moduleId FROM devices.modules WHERE tags.fleet = '" + fleet + "' AND " + where
                        : "SELECT deviceId FROM devices WHERE tags.fleet = '" + fleet + "' AND " + where;
                TwinQuery parsed;
                try {
                    parsed = TwinQuery.parse(text);
                } catch (RuntimeException e) {
                    failures.add("the generator wrote a query the parser refuses: " + text + " -> " + e.getMessage());
                    continue;
                }
                Function<JsonNode, String> key = doc -> doc.path("deviceId").asText()
                        + (onModules ? "/" + doc.path("moduleId").asText() : "");
                Set<String> want = (onModules ? moduleDocs : deviceDocs).stream().filter(parsed::matches).map(key)
                        .collect(Collectors.toCollection(TreeSet::new));
                List<JsonNode> items = new ArrayList<>();
                Reply reply = query(text, 1000, null);
                while (reply.status() == 200) {
                    reply.json().get("items").forEach(items::add);
                    String next = token(reply.json());
                    if (next == null) {
                        break;
                    }
                    reply = query(text, 1000, next);
                }
                if (reply.status() != 200) {
                    failures.add(text + "\n    -> " + reply);
                    continue;
                }
                List<String> gotList = items.stream().map(key).toList();
                Set<String> got = new TreeSet<>(gotList);
                checked++;
                if (!want.isEmpty() && want.size() < (onModules ? moduleDocs : deviceDocs).size()) {
                    nonTrivial++;
                }
                if (got.size() != gotList.size()) {
                    failures.add(text + "\n    -> a twin appears twice: " + gotList);
                }
                if (!got.equals(want)) {
                    Set<String> missing = new TreeSet<>(want);
                    missing.removeAll(got);
                    Set<String> extra = new TreeSet<>(got);
                    extra.removeAll(want);
                    failures.add(text + "\n    expected " + want.size() + ", got " + got.size() + "; missing "
                            + missing.stream().limit(4).toList() + "; unexpected " + extra.stream().limit(4).toList());
                }
            }
        }
        assertThat(failures).as("%d of %d differential queries disagree; the first ones:\n%s", failures.size(),
                checked, String.join("\n", failures.stream().limit(15).toList())).isEmpty();
        assertThat(nonTrivial).as("queries selecting some but not all twins").isGreaterThan(checked / 4);
    }

    /** Random conditions over the fleet's fields and literals, from a small grammar. */
    static final class ConditionGenerator {

        private final Random r;
        private final Map<String, List<String>> deviceFields = new LinkedHashMap<>();
        private final Map<String, List<String>> moduleFields = new LinkedHashMap<>();
        private final List<String> strings = new ArrayList<>();
        private final List<String> numbers = new ArrayList<>();
        private final List<String> others = List.of("true", "false", "null", "TRUE", "Null");

        ConditionGenerator(Random r, List<Dev> devices) {
            this.r = r;
            List<String> labels = new ArrayList<>(new LinkedHashSet<>(devices.stream().map(Dev::label).toList()));
            List<String> temps = devices.stream().filter(d -> d.temperature() != null)
                    .map(d -> d.temperature() instanceof String s ? quote(s) : String.valueOf(d.temperature()))
                    .distinct().limit(30).toList();
            List<String> ranks = devices.stream().map(d -> String.valueOf(d.rank())).distinct().limit(20).toList();
            List<String> weights = devices.stream().map(d -> String.valueOf(d.weight())).distinct().limit(12).toList();
            List<String> ids = devices.stream().map(d -> quote(d.id())).limit(40).toList();
            deviceFields.put("tags.deviceType", quoted(TYPES));
            deviceFields.put("tags.environment", quoted(ENVIRONMENTS));
            deviceFields.put("tags.location.building", quoted(List.of("b1", "b2", "b3", "b4", "b5")));
            deviceFields.put("tags.location.floor", List.of("1", "2", "3", "4", "2.0", "3.5"));
            deviceFields.put("tags.location", List.of());
            deviceFields.put("tags.rank", ranks);
            deviceFields.put("tags.weight", weights);
            deviceFields.put("tags.site", quoted(SITES));
            deviceFields.put("tags.site.name", quoted(SITES));
            deviceFields.put("tags.label", quoted(labels));
            deviceFields.put("tags.flag", List.of("true", "false"));
            deviceFields.put("tags.codes", List.of());
            deviceFields.put(ODD_FIELD, quoted(List.of("v0", "v1", "v2")));
            deviceFields.put("tags.nothing", List.of());
            deviceFields.put("properties.reported.temperature", temps);
            deviceFields.put("properties.reported.firmware.version", quoted(FIRMWARE));
            deviceFields.put("properties.reported.firmware", List.of());
            deviceFields.put("properties.reported.telemetryInterval", List.of("30", "60"));
            deviceFields.put("properties.desired.telemetryInterval", List.of("30", "60"));
            deviceFields.put("delta.telemetryInterval", List.of("30", "60"));
            deviceFields.put("lastActivityTime", List.of("null"));
            deviceFields.put("deviceId", ids);
            deviceFields.put("moduleId", List.of("null"));
            deviceFields.put("inSync", List.of("true", "false"));
            deviceFields.put("version", List.of("1", "2", "3"));
            deviceFields.put("status", List.of("'enabled'", "'disabled'"));
            deviceFields.put("properties.reported.[[$version]]", List.of("1", "2"));
            moduleFields.put("tags.kind", quoted(List.of("k0", "k1", "k2", "k3")));
            moduleFields.put("tags.rank", List.of("3", "10", "100", "150", "276"));
            moduleFields.put("properties.reported.fps", List.of("15", "20", "25", "34"));
            moduleFields.put("moduleId", quoted(MODULE_IDS));
            moduleFields.put("deviceId", ids);
            moduleFields.put("inSync", List.of("true", "false"));
            moduleFields.put("lastActivityTime", List.of("null"));
            moduleFields.put("tags.nothing", List.of());
            strings.addAll(quoted(List.of("sensor", "prod", "b1", "north", "", "x", "2", "25", "0", "v1", "1.2.3",
                    "Alpha", "a", "z", "日本-1", "smile😀", "o'brien", INJECTION, "enabled")));
            numbers.addAll(List.of("0", "1", "2", "3", "-1", "2.0", "12.5", "12.50", "30", "60", "500", "999", "25",
                    "23.4", "1e1", "3.5E1", "0.5", "-0"));
            for (String label : labels) {
                if (label.length() > 2) {
                    int cut = label.offsetByCodePoints(0, 2);
                    strings.add(quote(label.substring(0, cut)));
                    strings.add(quote(label.substring(cut)));
                }
            }
        }

        private static List<String> quoted(List<String> values) {
            return values.stream().map(FleetQueryIntegrationTest::quote).toList();
        }

        private <T> T pick(List<T> list) {
            return list.get(r.nextInt(list.size()));
        }

        private String keyword(String word) {
            return switch (r.nextInt(6)) {
                case 0 -> word.toLowerCase();
                case 1 -> word.charAt(0) + word.substring(1).toLowerCase();
                default -> word;
            };
        }

        String condition(boolean modules) {
            return condition(modules ? moduleFields : deviceFields, 0);
        }

        private String condition(Map<String, List<String>> fields, int depth) {
            int roll = r.nextInt(10);
            if (depth >= 3 || roll < 4) {
                return atom(fields);
            }
            return switch (roll) {
                case 4, 5 -> condition(fields, depth + 1) + " " + keyword("AND") + " " + condition(fields, depth + 1);
                case 6, 7 -> condition(fields, depth + 1) + " " + keyword("OR") + " " + condition(fields, depth + 1);
                case 8 -> keyword("NOT") + " (" + condition(fields, depth + 1) + ")";
                default -> "(" + condition(fields, depth + 1) + ")";
            };
        }

        private String literal(List<String> own, boolean orderable) {
            while (true) {
                int roll = r.nextInt(10);
                String literal = roll < 6 && !own.isEmpty() ? pick(own)
                        : roll < 8 ? pick(strings) : roll < 9 ? pick(numbers) : pick(others);
                if (!orderable || !others.contains(literal)) {
                    return r.nextInt(8) == 0 && literal.startsWith("'") && !literal.contains("\"")
                            ? "\"" + literal.substring(1, literal.length() - 1).replace("''", "'") + "\""
                            : literal;
                }
            }
        }

        private String stringArgument(List<String> own) {
            List<String> candidates = own.stream().filter(s -> s.startsWith("'")).toList();
            String literal = !candidates.isEmpty() && r.nextBoolean() ? pick(candidates) : pick(strings);
            String text = literal.substring(1, literal.length() - 1).replace("''", "'");
            int length = text.codePointCount(0, text.length());
            if (length > 1 && r.nextBoolean()) {
                int from = r.nextInt(length);
                int to = from + r.nextInt(length - from) + 1;
                text = text.substring(text.offsetByCodePoints(0, from), text.offsetByCodePoints(0, to));
            }
            return quote(text);
        }

        private String atom(Map<String, List<String>> fields) {
            String field = pick(new ArrayList<>(fields.keySet()));
            List<String> own = fields.get(field);
            String written = field;
            if (r.nextInt(10) == 0 && field.startsWith("tags.") && !field.contains("[[")) {
                written = "tags.[[" + field.substring("tags.".length()).replace(".", "]].[[") + "]]";
            }
            int roll = r.nextInt(20);
            if (roll < 9) {
                String op = pick(List.of("=", "!=", "<>", "<", "<=", ">", ">=", "=", "="));
                boolean ordering = !op.equals("=") && !op.equals("!=") && !op.equals("<>");
                return written + " " + op + " " + literal(own, ordering);
            }
            if (roll < 12) {
                int size = r.nextInt(5);
                List<String> items = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    items.add(literal(own, false));
                }
                return written + " " + keyword(r.nextBoolean() ? "IN" : "NIN") + " [" + String.join(", ", items) + "]";
            }
            if (roll < 16) {
                String function = pick(List.of("IS_DEFINED", "IS_NULL", "IS_STRING", "IS_NUMBER", "IS_BOOL",
                        "IS_OBJECT", "IS_ARRAY", "IS_PRIMITIVE"));
                return (r.nextInt(5) == 0 ? function.toLowerCase() : function) + "(" + written + ")";
            }
            String function = pick(List.of("STARTS_WITH", "ENDS_WITH", "CONTAINS"));
            return function + "(" + written + ", " + stringArgument(own) + ")";
        }
    }

    // ------------------------------------------------------------------------------------------------ errors

    private JsonNode assertQueryProblem(String text, int position, String code) {
        JsonNode problem = assertProblem(query(text, 10, null), 400, code);
        assertThat(problem.path("position").isIntegralNumber()).as("position in %s", problem).isTrue();
        assertThat(problem.path("position").asInt()).as("position of the fault in %s: %s", text, problem)
                .isEqualTo(position);
        return problem;
    }

    @Test
    void syntaxErrorsNameTheirPosition() {
        assertQueryProblem("SELECT * FORM devices", 9, "invalidQuery");
        String open = "SELECT * FROM devices WHERE tags.a = ";
        assertQueryProblem(open, open.length(), "invalidQuery");
        String paren = "SELECT * FROM devices WHERE (tags.a = 1";
        assertQueryProblem(paren, paren.length(), "invalidQuery");
        String hash = "SELECT * FROM devices WHERE tags.a # 1";
        assertQueryProblem(hash, hash.indexOf('#'), "invalidQuery");
        String string = "SELECT * FROM devices WHERE tags.a = 'open";
        assertQueryProblem(string, string.indexOf('\''), "invalidQuery");
        String ordering = "SELECT * FROM devices WHERE tags.a < true";
        assertQueryProblem(ordering, ordering.indexOf("true"), "invalidQuery");
        String twoConditions = "SELECT * FROM devices WHERE tags.a = 1 tags.b = 2";
        assertQueryProblem(twoConditions, twoConditions.indexOf("tags.b"), "invalidQuery");
        String escaped = "SELECT * FROM devices WHERE tags.[[a = 1";
        assertQueryProblem(escaped, escaped.indexOf("[["), "invalidQuery");
        assertQueryProblem("SELECT TOP 0 * FROM devices", 11, "invalidQuery");
        String list = "SELECT * FROM devices WHERE tags.a IN [1, 2";
        assertQueryProblem(list, list.length(), "invalidQuery");
        String keyword = "SELECT * FROM devices WHERE tags.a = 1 AND AND";
        assertQueryProblem(keyword, keyword.lastIndexOf("AND"), "invalidQuery");
        assertQueryProblem("SELECT deviceId, COUNT() FROM devices", 7, "invalidGroupBy");
        String groupStar = "SELECT * FROM devices GROUP BY tags.a";
        assertQueryProblem(groupStar, groupStar.indexOf("tags.a"), "invalidGroupBy");
        String function = "SELECT * FROM devices WHERE NOSUCH(tags.a)";
        assertQueryProblem(function, function.indexOf("NOSUCH"), "unknownFunction");
        String big = "SELECT * FROM devices WHERE tags.a = 1e999";
        assertQueryProblem(big, big.indexOf("1e999"), "numberOutOfRange");
        String duplicate = "SELECT deviceId AS x, tags.x FROM devices";
        assertQueryProblem(duplicate, duplicate.indexOf("tags.x"), "duplicateKey");
        assertQueryProblem("   ", 0, "emptyQuery");
        assertProblem(query("SELECT * FROM devices WHERE " + "NOT ".repeat(100) + "tags.a = 1", 10, null), 400,
                "queryTooDeep");
        assertThat(query("SELECT * FROM devices WHERE tags.fleet = '" + fleet + "' AND " + "NOT ".repeat(40)
                + "tags.a = 1", 10, null).status()).isEqualTo(200);
    }

    @Test
    void unknownFieldsAreRefused() {
        assertQueryProblem("SELECT * FROM devices WHERE foo.bar = 1", 28, "unknownField");
        assertQueryProblem("SELECT nope FROM devices", 7, "unknownField");
        assertQueryProblem("SELECT * FROM devices WHERE properties.foo = 1", 28, "unknownField");
        assertQueryProblem("SELECT * FROM devices WHERE inSync.x = true", 28, "unknownField");
        assertQueryProblem("SELECT * FROM devices ORDER BY [[tags ]]", 31, "unknownField");
        String grouped = "SELECT COUNT() FROM devices GROUP BY tags.a, Tagz.b";
        assertQueryProblem(grouped, grouped.indexOf("Tagz"), "unknownField");
        // a root in another case is the same root, as Azure's system property names are
        assertThat(http.post("/query", TwinHttp.q("{'query':'SELECT COUNT() FROM devices GROUP BY Tags.b'}"))
                .status()).isEqualTo(200);
    }

    @Test
    void queryLengthIsLimited() {
        String base = inFleet("deviceId", null);
        String longest = base + " ".repeat(TwinQuery.MAX_LENGTH - base.length());
        assertThat(longest).hasSize(8192);
        assertThat(query(longest, 1000, null).status()).isEqualTo(200);
        assertQueryProblem(longest + " ", 8192, "queryTooLong");
        assertProblem(query("x".repeat(100_000), 10, null), 400, "queryTooLong");
    }

    @Test
    void pageSizeIsBetweenOneAndAThousand() {
        String text = inFleet("deviceId", null);
        for (int size : new int[]{0, 1001, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            JsonNode problem = assertProblem(query(text, size, null), 400, "invalidPageSize");
            assertThat(problem.path("path").asText()).isEqualTo("$.pageSize");
        }
        for (String raw : new String[]{"2.5", "\"10\"", "true", "1e2", "99999999999", "[]"}) {
            Reply reply = api.post("/query", "{\"query\":" + JSON.getNodeFactory().textNode(text) + ",\"pageSize\":"
                    + raw + "}");
            assertThat(assertProblem(reply, 400, "invalidPageSize").path("path").asText()).isEqualTo("$.pageSize");
        }
        assertThat(page(text, 1, null).get("items")).hasSize(1);
        assertThat(page(text, 1000, null).get("items")).hasSize(devices.size());
        JsonNode byDefault = page(text, null, null);
        assertThat(byDefault.get("items")).hasSize(100);
        assertThat(token(byDefault)).isNotNull();
    }

    private static JsonNode decodeToken(String token) {
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(token));
        } catch (Exception e) {
            throw new AssertionError("a continuation token is base64url JSON: " + token, e);
        }
    }

    private static String encodeToken(JsonNode token) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(token.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void continuationTokensAreCheckedAgainstTheirQuery() {
        String text = inFleet("*", null);
        String token = token(page(text, 5, null));
        assertThat(token).isNotNull();
        assertThat(page(text, 50, token).get("items")).hasSize(50);

        // Another query, even the same one written differently.
        for (String other : List.of(inFleet("deviceId", null), inFleet("*", null) + " ", inFleet("*", "tags.rank > 1"))) {
            JsonNode problem = assertProblem(query(other, 5, token), 400, "invalidContinuationToken");
            assertThat(problem.path("path").asText()).isEqualTo("$.continuationToken");
        }
        // Garbage.
        List<String> garbage = new ArrayList<>(List.of("garbage", "!!!", "", "=",
                token.substring(0, token.length() / 2), encodeToken(JSON.createObjectNode()),
                encodeToken(JSON.createArrayNode().add(1)), Base64.getEncoder().encodeToString(new byte[]{1, 2, (byte) 255}),
                encodeToken(JSON.getNodeFactory().textNode(INJECTION))));
        // Tampered: the right query, values of the wrong shape.
        ObjectNode original = (ObjectNode) decodeToken(token);
        ObjectNode tampered = original.deepCopy();
        tampered.putArray("c");
        garbage.add(encodeToken(tampered));
        tampered = original.deepCopy();
        ((ArrayNode) tampered.get("c")).add("extra");
        garbage.add(encodeToken(tampered));
        tampered = original.deepCopy();
        tampered.putArray("c").add(5);
        garbage.add(encodeToken(tampered));
        tampered = original.deepCopy();
        tampered.putArray("c").addObject().put("a", 1);
        garbage.add(encodeToken(tampered));
        tampered = original.deepCopy();
        tampered.put("n", -1);
        garbage.add(encodeToken(tampered));
        tampered = original.deepCopy();
        tampered.put("n", "five");
        garbage.add(encodeToken(tampered));
        tampered = original.deepCopy();
        tampered.remove("q");
        garbage.add(encodeToken(tampered));
        for (String bad : garbage) {
            JsonNode problem = assertProblem(query(text, 5, bad), 400, "invalidContinuationToken");
            assertThat(problem.path("path").asText()).as("path for token %s", bad).isEqualTo("$.continuationToken");
        }
        for (String raw : new String[]{"5", "true", "{}", "[\"" + token + "\"]"}) {
            Reply reply = api.post("/query", "{\"query\":" + JSON.getNodeFactory().textNode(text)
                    + ",\"continuationToken\":" + raw + "}");
            assertProblem(reply, 400, "invalidContinuationToken");
        }

        // A cursor value that fits its column is only ever a parameter: a hostile one pages on normally.
        tampered = original.deepCopy();
        tampered.putArray("c").add(INJECTION);
        JsonNode after = page(text, 1000, encodeToken(tampered));
        assertThat(deviceIdList(listOf(after.get("items")))).containsExactlyElementsOf(
                devices.stream().map(Dev::id).filter(id -> id.compareTo(INJECTION) > 0).toList());
        tampered.putArray("c").add(devices.get(99).id());
        assertThat(deviceIdList(listOf(page(text, 1000, encodeToken(tampered)).get("items"))))
                .containsExactlyElementsOf(devices.subList(100, devices.size()).stream().map(Dev::id).toList());
        assertThat(jdbc.queryForObject("SELECT count(*) FROM twin_document", Long.class)).isPositive();
    }

    @Test
    void malformedRequests() {
        String text = inFleet("deviceId", null);
        assertThat(assertProblem(api.post("/query", "{}"), 400, "missingQuery").path("path").asText())
                .isEqualTo("$.query");
        assertProblem(api.post("/query", "{\"query\":null}"), 400, "missingQuery");
        assertProblem(api.post("/query", "{\"query\":5}"), 400, "missingQuery");
        assertProblem(api.post("/query", "{\"query\":[\"SELECT * FROM devices\"]}"), 400, "missingQuery");
        assertProblem(api.post("/query", "{\"pageSize\":10}"), 400, "missingQuery");
        assertThat(assertProblem(api.post("/query", "{\"query\":" + JSON.getNodeFactory().textNode(text)
                + ",\"limit\":5}"), 400, "unknownMember").path("path").asText()).isEqualTo("$.limit");
        assertProblem(api.post("/query", ""), 400, null);
        assertProblem(api.post("/query", "[]"), 400, null);
        assertProblem(api.post("/query", "{\"query\":"), 400, "malformedJson");
        assertProblem(api.post("/query", "{\"query\":\"SELECT * FROM devices\",\"query\":\"x\"}"), 400,
                "malformedJson");
        assertProblem(api.post("/query", "query=SELECT", "Content-Type", "text/plain"), 415, null);
    }

    // ------------------------------------------------------------------------------------------------ injection

    @Test
    void injectionAttemptsAreJustLiteralsAndNames() {
        SoftAssertions soft = new SoftAssertions();
        check(soft, "tags.label = " + quote(INJECTION), d -> d.label().equals(INJECTION));
        check(soft, "tags.label = \"" + INJECTION + "\"", d -> d.label().equals(INJECTION));
        check(soft, "tags.label = " + quote(BOBBY), d -> d.label().equals(BOBBY));
        check(soft, "tags.label IN [" + quote(INJECTION) + ", " + quote(BOBBY) + "]",
                d -> d.label().equals(INJECTION) || d.label().equals(BOBBY));
        check(soft, "STARTS_WITH(tags.label, ''';')", d -> d.label().startsWith("';"));
        check(soft, "CONTAINS(tags.label, 'DROP TABLE')", d -> d.label().contains("DROP TABLE"));
        check(soft, "tags.label != " + quote(INJECTION), d -> !d.label().equals(INJECTION));
        check(soft, ODD_FIELD + " = 'v1'", d -> "v1".equals(d.odd()));
        check(soft, "IS_DEFINED(" + ODD_FIELD + ") AND NOT (" + ODD_FIELD + " IN ['v0'])",
                d -> d.odd() != null && !d.odd().equals("v0"));
        checkNone(soft, "tags.label = 'x'' OR ''1''=''1'");
        checkNone(soft, "tags.label = 'x\\'' OR 1=1 --'");
        checkNone(soft, "tags.[[a'); DROP TABLE twin_document; --]] = 1");
        checkNone(soft, "tags.[[\"; DROP TABLE twin_document; --]] != 1");
        checkNone(soft, "tags.[[}{]] = '{}'");
        checkNone(soft, "tags.[[{tags,label}]] = 'alpha'");
        checkNone(soft, "IS_DEFINED(tags.[[label}']])");
        checkNone(soft, "tags.[[*]] = '*' OR tags.[[' || '']] = 1");
        checkNone(soft, "properties.reported.[[temperature\"]] > 0");
        checkNone(soft, "tags.label = '\\''; DROP TABLE twin_document; --'");
        checkNone(soft, "tags.label = '$$; DROP TABLE twin_document; $$'");
        checkNone(soft, "STARTS_WITH(tags.label, '%') OR ENDS_WITH(tags.label, '_') AND CONTAINS(tags.label, '\\\\')");
        soft.assertAll();

        List<JsonNode> projected = all(inFleet(ODD_FIELD + " AS [[x'y\"z); DROP TABLE twin_document; --]]",
                "IS_DEFINED(" + ODD_FIELD + ")"), 1000);
        assertThat(projected).hasSize((int) devices.stream().filter(d -> d.odd() != null).count());
        assertThat(projected).allMatch(item -> item.size() == 1
                && item.path("x'y\"z); DROP TABLE twin_document; --").isTextual());
        // An attempt that is not a query at all is a syntax error.
        assertProblem(query("SELECT * FROM devices; DROP TABLE twin_document", 10, null), 400, "invalidQuery");
        assertProblem(query(inFleet("*", null) + " OR 1=1", 10, null), 400, "invalidQuery");
        assertProblem(query("SELECT * FROM devices WHERE tags.a = 1 --", 10, null), 400, "invalidQuery");
        assertProblem(query("SELECT * FROM twin_document", 10, null), 400, "invalidQuery");

        // The table and the fleet are still there.
        assertThat(jdbc.queryForObject("SELECT to_regclass('twin_document') IS NOT NULL", Boolean.class)).isTrue();
        assertThat(page(inFleet("COUNT() AS n", null), 10, null).get("items").get(0).path("n").asLong())
                .isEqualTo(devices.size());
    }

    /** Characters PostgreSQL cannot hold in text (NUL) may appear in a query; the answer is still 200 or 400. */
    @Test
    void nulCharactersInLiteralsNamesAndCursors() {
        SoftAssertions soft = new SoftAssertions();
        for (String condition : List.of("tags.label = 'a\u0000b'", "CONTAINS(tags.label, '\u0000')",
                "STARTS_WITH(tags.label, 'al\u0000')", "tags.label IN ['\u0000']", "NOT (tags.label = '\u0000')",
                "tags.[[a\u0000b]] = 1", "tags.label > '\u0000'")) {
            Reply reply = query(inFleet("deviceId", condition), 100, null);
            soft.assertThat(reply.status()).as("WHERE %s -> %s", condition.replace("\u0000", "\\u0000"), reply)
                    .isIn(200, 400);
        }
        String text = inFleet("*", null);
        ObjectNode cursor = (ObjectNode) decodeToken(token(page(text, 5, null)));
        cursor.putArray("c").add("fq\u0000");
        Reply reply = query(text, 5, encodeToken(cursor));
        soft.assertThat(reply.status()).as("cursor with NUL -> %s", reply).isIn(200, 400);
        soft.assertAll();
    }

    // ------------------------------------------------------------------------------------------------ size limits

    @Test
    void largeButValidQueriesAnswer() {
        // Long chains of AND and OR, as long as the length limit allows.
        int room = TwinQuery.MAX_LENGTH - inFleet("deviceId", "").length();
        StringBuilder and = new StringBuilder("tags.rank >= 0");
        while (and.length() + 19 <= room) {
            and.append(" AND tags.rank >= 0");
        }
        assertThat(inFleet("deviceId", and.toString()).length()).isGreaterThan(8100);
        assertThat(ids(and.toString())).hasSize(devices.size());
        StringBuilder or = new StringBuilder("tags.rank = -1");
        while (or.length() + 60 <= room) {
            or.append(" OR tags.rank = -1");
        }
        or.append(" OR tags.rank = ").append(devices.get(3).rank());
        assertThat(ids(or.toString())).isEqualTo(expected(d -> d.rank() == devices.get(3).rank()));
        // A long IN list.
        String list = devices.stream().limit(300).map(d -> quote(d.id())).collect(Collectors.joining(","));
        String in = inFleet("deviceId", "deviceId IN [" + list + "]");
        assertThat(in.length()).isLessThan(8192);
        assertThat(all(in, 1000)).hasSize(300);
        // As many ORDER BY keys as allowed (8), paged; a ninth is refused.
        StringBuilder orderBy = new StringBuilder("tags.rank");
        for (int i = 0; i < 3; i++) {
            orderBy.append(", tags.location.floor, tags.weight DESC");
        }
        orderBy.append(", tags.location.floor");
        TwinHttp.assertProblem(query(inFleet("deviceId", null) + " ORDER BY " + orderBy + ", tags.rank", 100, null),
                400, "queryTooWide");
        assertThat(ordered("deviceId", orderBy.toString(), 100))
                .containsExactlyElementsOf(sortedIds(Comparator.comparingInt(Dev::rank)
                        .thenComparingInt(Dev::floor).thenComparing(Comparator.comparingDouble(Dev::weight).reversed())));
    }

    /** ORDER BY with as many keys as the length limit allows: a result or a 400, never a failure. */
    @Test
    void veryManyOrderByKeysAnswerOrRefuse() {
        SoftAssertions soft = new SoftAssertions();
        for (int keys : new int[]{150, 450, 1500}) {
            String text = inFleet("deviceId", null) + " ORDER BY tags.rank" + ", tags".repeat(keys - 1);
            if (text.length() > TwinQuery.MAX_LENGTH) {
                continue;
            }
            Reply first = query(text, 100, null);
            soft.assertThat(first.status()).as("%d keys, first page: %s", keys, abbreviate(first)).isIn(200, 400);
            if (first.status() == 200 && token(first.json()) != null) {
                Reply second = query(text, 100, token(first.json()));
                soft.assertThat(second.status()).as("%d keys, second page: %s", keys, abbreviate(second))
                        .isIn(200, 400);
            }
        }
        String grouped = inFleet("COUNT() AS n", null) + " GROUP BY tags.rank" + ", tags".repeat(500);
        Reply reply = query(grouped, 10, null);
        soft.assertThat(reply.status()).as("GROUP BY 501 keys: %s", abbreviate(reply)).isIn(200, 400);
        soft.assertAll();
    }

    private static String abbreviate(Reply reply) {
        String body = reply.body();
        return reply.status() + " " + (body.length() > 300 ? body.substring(0, 300) + "..." : body);
    }

    // ------------------------------------------------------------------------------------------------ fuzz

    @Test
    void fuzzedQueriesAnswer200Or400Quickly() {
        Random r = new Random(SEED + 3);
        ConditionGenerator generator = new ConditionGenerator(new Random(SEED + 4), devices);
        List<String> corpus = new ArrayList<>(List.of(
                "SELECT * FROM devices",
                "SELECT TOP 5 deviceId, tags.location.building AS b FROM devices WHERE tags.rank > 10 ORDER BY tags.rank DESC",
                "SELECT tags.deviceType, COUNT() AS n, AVG(tags.weight) FROM devices GROUP BY tags.deviceType ORDER BY COUNT() DESC",
                "SELECT deviceId, moduleId FROM devices.modules WHERE moduleId IN ['camera-1', 'edge-agent']",
                "SELECT * FROM devices WHERE STARTS_WITH(tags.label, 'al') AND NOT IS_DEFINED(tags.environment)",
                "SELECT COUNT() FROM devices WHERE " + ODD_FIELD + " NIN ['v0', 1, null, true]",
                "SELECT properties.reported.temperature AS t FROM devices WHERE inSync = false OR version >= 2"));
        for (int i = 0; i < 40; i++) {
            corpus.add(inFleet("deviceId", generator.condition(false)));
        }
        List<String> pieces = List.of("(", ")", "[", "]", "[[", "]]", "'", "\"", ",", ".", "*", "=", "!=", "<>", "<",
                ">=", " NOT ", " AND ", " OR ", " IN ", " NIN ", "SELECT ", " FROM ", " WHERE ", " GROUP BY ",
                " ORDER BY ", " TOP ", " AS ", "COUNT()", "AVG(", "1e999", "-", "99999999999999999999999", "\u0000",
                "é", "😀", "\t", "\n", "$", "_", "'';--", "IS_DEFINED(", "tags.", "properties.reported.", "inSync",
                "null", "true", " ", "\uD800", "\\", "%", "devices.modules", "DESC", "0", "-0.5e-3", ";");
        String printable = "abcxyzABCXYZ0123456789 _.,;:'\"()[]{}*=!<>-+/\\%$#@&|^~`?\t";
        List<String> failures = new ArrayList<>();
        long slowest = 0;
        for (int i = 0; i < 500; i++) {
            String text;
            if (i % 10 == 9) {
                StringBuilder random = new StringBuilder();
                int length = r.nextInt(60);
                for (int k = 0; k < length; k++) {
                    random.append(printable.charAt(r.nextInt(printable.length())));
                }
                text = random.toString();
            } else {
                text = corpus.get(r.nextInt(corpus.size()));
                int mutations = 1 + r.nextInt(4);
                for (int m = 0; m < mutations; m++) {
                    text = mutate(r, text, pieces);
                }
                if (i % 50 == 7) {
                    text = text + " OR tags.rank = 1".repeat(Math.max(0, (8100 - text.length()) / 17));
                }
            }
            Integer pageSize = r.nextInt(10) == 0 ? null : 1 + r.nextInt(r.nextBoolean() ? 10 : 1000);
            long start = System.nanoTime();
            Reply reply = query(text, pageSize, null);
            long millis = (System.nanoTime() - start) / 1_000_000;
            slowest = Math.max(slowest, millis);
            String shown = text.length() > 400 ? text.substring(0, 400) + "... (" + text.length() + " chars)" : text;
            shown = shown.replace("\u0000", "\\u0000");
            if (reply.status() != 200 && reply.status() != 400) {
                failures.add("status " + abbreviate(reply) + " for: " + shown);
            } else if (reply.status() == 400) {
                if (!reply.contentType().startsWith("application/problem+json")
                        || reply.json().path("code").asText().isBlank()) {
                    failures.add("400 without a problem code: " + abbreviate(reply) + " for: " + shown);
                }
            } else {
                JsonNode page = reply.json();
                if (!page.path("items").isArray()) {
                    failures.add("200 without items: " + abbreviate(reply) + " for: " + shown);
                } else if (token(page) != null) {
                    Reply next = query(text, pageSize, token(page));
                    if (next.status() != 200) {
                        failures.add("next page " + abbreviate(next) + " for: " + shown);
                    }
                }
            }
            if (millis > 5000) {
                failures.add("took " + millis + " ms: " + shown);
            }
        }
        assertThat(failures).as("%d of 500 fuzzed queries failed (slowest %d ms):\n%s", failures.size(), slowest,
                String.join("\n", failures.stream().limit(20).toList())).isEmpty();
        assertThat(jdbc.queryForObject("SELECT count(*) FROM twin_document", Long.class)).isPositive();
    }

    private static String mutate(Random r, String text, List<String> pieces) {
        if (text.isEmpty()) {
            return pieces.get(r.nextInt(pieces.size()));
        }
        int at = r.nextInt(text.length() + 1);
        int span = Math.min(text.length() - Math.min(at, text.length()), 1 + r.nextInt(6));
        return switch (r.nextInt(7)) {
            case 0 -> text.substring(0, at) + text.substring(at + span);
            case 1, 2 -> text.substring(0, at) + pieces.get(r.nextInt(pieces.size())) + text.substring(at);
            case 3 -> text.substring(0, at) + text.substring(at, at + span) + text.substring(at);
            case 4 -> at < text.length()
                    ? text.substring(0, at) + (char) (32 + r.nextInt(95)) + text.substring(at + 1) : text + "?";
            case 5 -> text.substring(0, at);
            default -> {
                int other = r.nextInt(text.length());
                int a = Math.min(at, other);
                int b = Math.max(at, other);
                yield a == b ? text : text.substring(b) + text.substring(a, b) + text.substring(0, a);
            }
        };
    }
}
