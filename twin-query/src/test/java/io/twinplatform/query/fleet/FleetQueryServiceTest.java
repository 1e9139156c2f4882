package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.query.ReadSide;
import io.twinplatform.testsupport.database.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Fleet queries compiled to SQL and run on a real PostgreSQL over rows the {@code twin-current} projection wrote from
 * events: what a WHERE selects (checked against the reference evaluator, {@link TwinQuery#matches}), the order,
 * keyset paging (also while the fleet changes), GROUP BY counts, TOP, and the statement timeout. The fleet is made
 * here from definitions, so every expected result is computed in Java.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetQueryServiceTest {

    private static final long SEED = 20_261_123L;
    private static final List<String> TYPES = List.of("sensor", "gateway", "camera", "thermostat");
    private static final List<String> SITES = List.of("north", "south", "east");
    private static final List<String> FIRMWARE = List.of("1.0.0", "1.2.3", "2.0.0-beta");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One device twin: {@code site} and {@code temperature} are {@code null} when the twin lacks them;
     * {@code temperature} is a Double or a String of digits; a twin that never {@code reports} has no reported values.
     */
    record Dev(String id, String type, String site, int rank, boolean reports, Object temperature, String firmware,
               Integer desiredInterval, Integer reportedInterval) {

        String body() {
            ObjectNode body = JSON.createObjectNode();
            ObjectNode tags = body.putObject("tags").put("type", type).put("rank", rank);
            if (site != null) {
                tags.put("site", site);
            }
            if (desiredInterval != null) {
                body.putObject("properties").putObject("desired").put("telemetryInterval", desiredInterval);
            }
            return body.toString();
        }

        String reported() {
            ObjectNode reported = JSON.createObjectNode();
            if (temperature instanceof Double number) {
                reported.put("temperature", number);
            } else if (temperature instanceof String digits) {
                reported.put("temperature", digits);
            }
            reported.putObject("firmware").put("version", firmware);
            if (reportedInterval != null) {
                reported.put("telemetryInterval", reportedInterval);
            }
            return reported.toString();
        }

        Double number() {
            return temperature instanceof Double number ? number : null;
        }
    }

    private ReadSide readSide;
    private FleetQueryService service;
    /** The live device twins, in twin id order. */
    private List<Dev> devices;
    private List<String> modules;

    @BeforeAll
    void projectTheFleet() {
        readSide = ReadSide.start();
        service = readSide.bean(FleetQueryService.class);
        Random r = new Random(SEED);
        devices = new ArrayList<>();
        for (int n = 0; n < 60; n++) {
            int siteRoll = r.nextInt(10);
            boolean reports = n % 10 != 0;
            int t = r.nextInt(100);
            Object temperature = !reports || t < 10 ? null
                    : t < 20 ? String.valueOf(10 + r.nextInt(30))
                    : Math.round((12 + r.nextDouble() * 24) * 10) / 10.0;
            devices.add(new Dev("d-%03d".formatted(n), TYPES.get(r.nextInt(TYPES.size())),
                    siteRoll < 3 ? null : SITES.get(r.nextInt(SITES.size())), r.nextInt(100), reports, temperature,
                    reports ? FIRMWARE.get(r.nextInt(FIRMWARE.size())) : null,
                    r.nextBoolean() ? 30 : null, reports && r.nextBoolean() ? 30 : null));
        }
        for (Dev dev : devices) {
            readSide.create(dev.id(), dev.body());
            if (dev.reports()) {
                readSide.report(dev.id(), dev.reported());
            }
        }
        // Twins that would match a lot, deleted again: never in a result.
        for (String gone : List.of("d-gone-1", "d-gone-2")) {
            readSide.create(gone, "{'tags':{'type':'sensor','site':'north','rank':1}}");
            readSide.delete(gone);
        }
        modules = List.of("d-000/cam", "d-001/cam", "d-001/edge", "d-005/cam");
        for (String module : modules) {
            readSide.create(module, "{'tags':{'type':'sensor','kind':'" + module.substring(6) + "'}}");
        }
        readSide.create("d-002/gone", "{'tags':{'type':'sensor'}}");
        readSide.delete("d-002/gone");
    }

    @AfterAll
    void close() {
        readSide.close();
    }

    @Test
    void whereSelectsTheMatchingLiveDevicesInTwinIdOrder() {
        assertThat(deviceIds("SELECT deviceId FROM devices WHERE tags.type = 'sensor'"))
                .isEqualTo(expected(d -> d.type().equals("sensor")));
        assertThat(deviceIds("SELECT deviceId FROM devices WHERE tags.type = 'sensor' AND tags.site = 'north'"))
                .isEqualTo(expected(d -> d.type().equals("sensor") && "north".equals(d.site())));
        assertThat(deviceIds("SELECT deviceId FROM devices WHERE properties.reported.temperature > 20"))
                .isEqualTo(expected(d -> d.number() != null && d.number() > 20));
        assertThat(deviceIds("SELECT deviceId FROM devices WHERE tags.site IN ['south', 'east'] OR tags.rank < 10"))
                .isEqualTo(expected(d -> "south".equals(d.site()) || "east".equals(d.site()) || d.rank() < 10));
        assertThat(deviceIds("SELECT deviceId FROM devices WHERE NOT IS_DEFINED(tags.site)"))
                .isEqualTo(expected(d -> d.site() == null));
        assertThat(deviceIds("SELECT deviceId FROM devices WHERE inSync = false"))
                .isEqualTo(expected(d -> d.desiredInterval() != null && !d.desiredInterval().equals(d.reportedInterval())));
        assertThat(all("SELECT * FROM devices WHERE deviceId = 'd-007'", 10)).singleElement()
                .isEqualTo(readSide.document("d-007"));
    }

    @Test
    void aDeletedTwinNeverAppears() {
        assertThat(deviceIds("SELECT deviceId FROM devices")).doesNotContain("d-gone-1", "d-gone-2")
                .hasSize(devices.size());
        assertThat(all("SELECT * FROM devices WHERE deviceId IN ['d-gone-1', 'd-gone-2']", 10)).isEmpty();
        assertThat(all("SELECT COUNT() AS n FROM devices WHERE tags.site = 'north'", 10).get(0).get("n").asLong())
                .isEqualTo(devices.stream().filter(d -> "north".equals(d.site())).count());
    }

    @Test
    void modulesAreTheirOwnSource() {
        assertThat(all("SELECT deviceId, moduleId FROM devices.modules", 2))
                .extracting(item -> item.get("deviceId").asText() + "/" + item.get("moduleId").asText())
                .containsExactlyElementsOf(modules);
        assertThat(deviceIds("SELECT deviceId FROM devices WHERE IS_DEFINED(tags.kind)")).isEmpty();
        assertThat(all("SELECT moduleId FROM devices.modules WHERE tags.kind = 'edge'", 10))
                .extracting(item -> item.get("moduleId").asText()).containsExactly("edge");
    }

    @Test
    void selectedFieldsComeUnderTheirAliasesAndUndefinedOnesAreLeftOut() {
        List<ObjectNode> items = all("SELECT deviceId, tags.site AS place, properties.reported.firmware.version"
                + " FROM devices WHERE tags.rank >= 0", 1000);
        assertThat(items).hasSize(devices.size());
        for (int i = 0; i < devices.size(); i++) {
            Dev dev = devices.get(i);
            ObjectNode item = items.get(i);
            assertThat(item.get("deviceId").asText()).isEqualTo(dev.id());
            assertThat(item.has("place")).isEqualTo(dev.site() != null);
            assertThat(item.path("place").asText(null)).isEqualTo(dev.site());
            assertThat(item.path("version").asText(null)).as("%s", item).isEqualTo(dev.firmware());
        }
    }

    @Test
    void orderByPutsUndefinedLastEitherWayAndBreaksTiesByTwinId() {
        Comparator<Dev> byId = Comparator.comparing(Dev::id);
        assertThat(ordered("tags.rank", 7))
                .isEqualTo(sorted(Comparator.comparingInt(Dev::rank).thenComparing(byId)));
        assertThat(ordered("tags.rank DESC", 1000))
                .isEqualTo(sorted(Comparator.comparingInt(Dev::rank).reversed().thenComparing(byId)));
        assertThat(ordered("tags.site", 5)).isEqualTo(sorted(Comparator.comparing(Dev::site,
                Comparator.nullsLast(Comparator.<String>naturalOrder())).thenComparing(byId)));
        assertThat(ordered("tags.site DESC", 5)).isEqualTo(sorted(Comparator.comparing(Dev::site,
                Comparator.nullsLast(Comparator.<String>reverseOrder())).thenComparing(byId)));
        assertThat(ordered("tags.type ASC, tags.rank DESC", 9)).isEqualTo(sorted(Comparator.comparing(Dev::type)
                .thenComparing(Comparator.comparingInt(Dev::rank).reversed()).thenComparing(byId)));

        // Mixed types in one field: numbers among themselves and strings among themselves in order, undefined last.
        List<String> ids = ordered("properties.reported.temperature", 11);
        Map<String, Dev> byIds = devices.stream().collect(Collectors.toMap(Dev::id, d -> d));
        List<Dev> sequence = ids.stream().map(byIds::get).toList();
        assertThat(sequence).hasSize(devices.size());
        List<Double> numbers = sequence.stream().map(Dev::number).filter(Objects::nonNull).toList();
        assertThat(numbers).isSorted().isNotEmpty();
        List<String> strings = sequence.stream().map(Dev::temperature).filter(String.class::isInstance)
                .map(String.class::cast).toList();
        assertThat(strings).isSorted().isNotEmpty();
        int firstUndefined = sequence.indexOf(sequence.stream().filter(d -> d.temperature() == null).findFirst()
                .orElseThrow());
        assertThat(sequence.subList(firstUndefined, sequence.size())).allMatch(d -> d.temperature() == null)
                .isSortedAccordingTo(byId);
    }

    @Test
    void groupByCountsEveryValueAndTheUndefinedGroup() {
        Map<String, Long> counted = new HashMap<>();
        for (ObjectNode group : all("SELECT tags.site AS site, COUNT() AS n FROM devices GROUP BY tags.site", 1000)) {
            counted.put(group.has("site") ? group.get("site").asText() : "undefined", group.get("n").asLong());
        }
        assertThat(counted).isEqualTo(devices.stream().collect(Collectors.groupingBy(
                d -> d.site() == null ? "undefined" : d.site(), Collectors.counting())));

        List<ObjectNode> byType = all("SELECT tags.type, COUNT() AS n, MAX(tags.rank) AS highest FROM devices"
                + " GROUP BY tags.type ORDER BY COUNT() DESC", 1000);
        assertThat(byType).extracting(group -> group.get("n").asLong()).isSortedAccordingTo(Comparator.reverseOrder());
        for (ObjectNode group : byType) {
            String type = group.get("type").asText();
            assertThat(group.get("n").asLong()).isEqualTo(devices.stream().filter(d -> d.type().equals(type)).count());
            assertThat(group.get("highest").asInt()).isEqualTo(devices.stream().filter(d -> d.type().equals(type))
                    .mapToInt(Dev::rank).max().orElseThrow());
        }
    }

    @Test
    void pagingGroupsOneAtATimeGivesEveryGroupOnce() {
        for (String text : List.of("SELECT tags.type, COUNT() AS n FROM devices GROUP BY tags.type",
                "SELECT tags.type, tags.site, COUNT() AS n FROM devices GROUP BY tags.type, tags.site",
                "SELECT tags.site, AVG(tags.rank) AS r FROM devices GROUP BY tags.site ORDER BY AVG(tags.rank) DESC")) {
            List<ObjectNode> whole = all(text, 1000);
            assertThat(whole).as(text).hasSizeGreaterThan(2);
            assertThat(all(text, 1)).as(text).containsExactlyElementsOf(whole);
        }
    }

    @Test
    void topCapsTheResultAcrossPages() {
        List<TwinQueryPage> pages = pages("SELECT TOP 10 deviceId FROM devices ORDER BY tags.rank DESC", 3);
        assertThat(pages).extracting(page -> page.items().size()).containsExactly(3, 3, 3, 1);
        assertThat(pages.stream().flatMap(page -> page.items().stream()).map(item -> item.get("deviceId").asText()))
                .containsExactlyElementsOf(sorted(Comparator.comparingInt(Dev::rank).reversed()
                        .thenComparing(Dev::id)).subList(0, 10));
    }

    @Test
    void aContinuationTokenServesOnlyItsOwnQuery() {
        TwinQueryPage first = service.run("SELECT deviceId FROM devices", 5, null, null);
        TwinException refused = catchThrowableOfType(TwinException.class, () -> service.run(
                "SELECT deviceId FROM devices WHERE tags.rank > 1", 5, first.continuationToken(), null));
        assertThat(refused.error().code()).isEqualTo("invalidContinuationToken");
        TwinException tooLarge = catchThrowableOfType(TwinException.class,
                () -> service.run("SELECT deviceId FROM devices", 1001, null, null));
        assertThat(tooLarge.error().code()).isEqualTo("invalidPageSize");
    }

    @Test
    void aFleetAsItWasNeedsTheHistorySide() {
        TwinException refused = catchThrowableOfType(TwinException.class,
                () -> service.run("SELECT * FROM devices", null, null, Instant.now()));
        assertThat(refused.error().kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
        assertThat(refused.error().code()).isEqualTo("pointInTimeNotAvailable");
    }

    /** The SQL and the reference evaluator agree on every twin, for random conditions and their negations. */
    @Test
    void sqlAgreesWithTheReferenceEvaluatorOnRandomConditions() {
        List<ObjectNode> documents = all("SELECT * FROM devices", 1000);
        List<ObjectNode> moduleDocuments = all("SELECT * FROM devices.modules", 1000);
        Conditions conditions = new Conditions(new Random(SEED + 1));
        List<String> failures = new ArrayList<>();
        int selective = 0;
        for (int i = 0; i < 200; i++) {
            boolean onModules = i % 8 == 7;
            String condition = conditions.next();
            for (String where : List.of("(" + condition + ")", "NOT (" + condition + ")")) {
                String text = "SELECT * FROM " + (onModules ? "devices.modules" : "devices") + " WHERE " + where;
                TwinQuery query = TwinQuery.parse(text);
                Function<JsonNode, String> key = doc -> doc.path("deviceId").asText() + "/" + doc.path("moduleId");
                Set<String> want = (onModules ? moduleDocuments : documents).stream().filter(query::matches)
                        .map(key).collect(Collectors.toCollection(TreeSet::new));
                List<String> got = all(text, 1000).stream().map(key).toList();
                if (!new TreeSet<>(got).equals(want) || got.size() != want.size()) {
                    failures.add(text + "\n    expected " + want + "\n    got " + got);
                }
                if (!onModules && !want.isEmpty() && want.size() < documents.size()) {
                    selective++;
                }
            }
        }
        assertThat(failures).as("%d queries disagree; the first:\n%s", failures.size(),
                String.join("\n", failures.stream().limit(5).toList())).isEmpty();
        assertThat(selective).as("conditions that select some but not all devices").isGreaterThan(100);
    }

    /** Random conditions over the fleet's fields, with literals of every JSON type. */
    private final class Conditions {

        private final Random r;
        private final Map<String, List<String>> fields = new LinkedHashMap<>();
        private final List<String> any = List.of("'sensor'", "'north'", "''", "'2'", "25", "2.0", "30", "-1",
                "true", "false", "null");

        Conditions(Random r) {
            this.r = r;
            fields.put("tags.type", quoted(TYPES));
            fields.put("tags.site", quoted(SITES));
            fields.put("tags.rank", List.of("0", "10", "50", "50.0", "99"));
            fields.put("tags.kind", List.of("'cam'", "'edge'"));
            fields.put("tags.nothing", List.of());
            fields.put("tags", List.of());
            fields.put("properties.reported.temperature", devices.stream().map(Dev::temperature)
                    .filter(Objects::nonNull).map(t -> t instanceof String s ? "'" + s + "'" : t.toString())
                    .distinct().limit(12).toList());
            fields.put("properties.reported.firmware.version", quoted(FIRMWARE));
            fields.put("properties.reported.firmware", List.of());
            fields.put("properties.desired.telemetryInterval", List.of("30"));
            fields.put("delta.telemetryInterval", List.of("30"));
            fields.put("inSync", List.of("true", "false"));
            fields.put("lastActivityTime", List.of("null"));
            fields.put("deviceId", quoted(devices.stream().map(Dev::id).limit(10).toList()));
            fields.put("moduleId", List.of("'cam'", "null"));
            fields.put("status", List.of("'enabled'", "'disabled'"));
        }

        String next() {
            return condition(0);
        }

        private String condition(int depth) {
            int roll = r.nextInt(10);
            if (depth >= 3 || roll < 4) {
                return atom();
            }
            return switch (roll) {
                case 4, 5 -> condition(depth + 1) + " AND " + condition(depth + 1);
                case 6, 7 -> condition(depth + 1) + " OR " + condition(depth + 1);
                case 8 -> "NOT (" + condition(depth + 1) + ")";
                default -> "(" + condition(depth + 1) + ")";
            };
        }

        private String literal(List<String> own, boolean ordering) {
            while (true) {
                String literal = !own.isEmpty() && r.nextInt(10) < 7 ? pick(own) : pick(any);
                // An ordering comparison takes a number or a string only.
                if (!ordering || !List.of("true", "false", "null").contains(literal)) {
                    return literal;
                }
            }
        }

        private String atom() {
            String field = pick(new ArrayList<>(fields.keySet()));
            List<String> own = fields.get(field);
            int roll = r.nextInt(10);
            if (roll < 5) {
                String op = pick(List.of("=", "!=", "<", "<=", ">", ">="));
                return field + " " + op + " " + literal(own, !op.equals("=") && !op.equals("!="));
            }
            if (roll < 7) {
                List<String> items = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    items.add(literal(own, false));
                }
                return field + (r.nextBoolean() ? " IN [" : " NIN [") + String.join(", ", items) + "]";
            }
            if (roll < 9) {
                return pick(List.of("IS_DEFINED", "IS_NULL", "IS_STRING", "IS_NUMBER", "IS_BOOL", "IS_OBJECT",
                        "IS_PRIMITIVE")) + "(" + field + ")";
            }
            String text = pick(List.of("sen", "or", "th", "1.", "0", "", "e"));
            return pick(List.of("STARTS_WITH", "ENDS_WITH", "CONTAINS")) + "(" + field + ", '" + text + "')";
        }

        private <T> T pick(List<T> list) {
            return list.get(r.nextInt(list.size()));
        }

        private static List<String> quoted(List<String> values) {
            return values.stream().map(v -> "'" + v + "'").toList();
        }
    }

    @Test
    void pagingWhileTheFleetChangesGivesEveryStayingTwinOnceAndNoneThatLeftBeforeItsPage() {
        try (ReadSide churn = ReadSide.start()) {
            FleetQueryService fleet = churn.bean(FleetQueryService.class);
            Random r = new Random(SEED + 2);
            TreeSet<String> alive = new TreeSet<>();
            for (int n = 0; n < 60; n++) {
                String id = "c-%04d".formatted(n * 10);
                churn.create(id, "{'tags':{'churn':true}}");
                alive.add(id);
            }
            Set<String> stable = new TreeSet<>(alive);
            Set<String> mustAppear = new TreeSet<>();
            Set<String> mustNotAppear = new TreeSet<>();
            List<String> seen = new ArrayList<>();
            String text = "SELECT deviceId FROM devices WHERE tags.churn = true";
            String token = null;
            do {
                TwinQueryPage page = fleet.run(text, 7, token, null);
                List<String> ids = page.items().stream().map(item -> item.get("deviceId").asText()).toList();
                for (String id : ids) {
                    assertThat(seen).as("%s seen before", id).doesNotContain(id);
                    assertThat(mustNotAppear).as("%s left before its page", id).doesNotContain(id);
                }
                seen.addAll(ids);
                token = page.continuationToken();
                if (token == null) {
                    break;
                }
                String last = ids.get(ids.size() - 1);
                // A new twin after the cursor appears; one before it cannot.
                for (int k = 0; k < 2; k++) {
                    String id;
                    do {
                        id = "c-%04d".formatted(r.nextInt(600));
                    } while (alive.contains(id) || mustNotAppear.contains(id) || mustAppear.contains(id));
                    churn.create(id, "{'tags':{'churn':true}}");
                    alive.add(id);
                    if (id.compareTo(last) > 0) {
                        mustAppear.add(id);
                    }
                }
                List<String> unseen = new ArrayList<>(alive.tailSet(last, false));
                unseen.removeAll(mustAppear);
                if (unseen.size() > 2) {
                    String deleted = unseen.remove(r.nextInt(unseen.size()));
                    churn.delete(deleted);
                    String moved = unseen.remove(r.nextInt(unseen.size()));
                    churn.patchTags(moved, "{'churn':false}");
                    for (String id : List.of(deleted, moved)) {
                        alive.remove(id);
                        stable.remove(id);
                        mustNotAppear.add(id);
                    }
                }
                // Other changes of twins seen and not seen keep them where they were.
                String touched = new ArrayList<>(alive).get(r.nextInt(alive.size()));
                churn.patchTags(touched, "{'color':'c" + r.nextInt(100) + "'}");
                churn.setStatus(touched, TwinStatus.DISABLED);
            } while (seen.size() < 1000);

            assertThat(new HashSet<>(seen)).as("no twin twice").hasSameSizeAs(seen);
            assertThat(seen).as("twin id order").isSorted();
            assertThat(seen).as("every twin that matched throughout").containsAll(stable);
            assertThat(seen).as("every new twin after the cursor").containsAll(mustAppear);
            assertThat(mustAppear).isNotEmpty();
            assertThat(mustNotAppear).isNotEmpty();
        }
    }

    /**
     * A query that runs longer than {@code twin.query.statement-timeout} is cancelled and refused with
     * {@code 422 queryTimeout}; the timeout was the transaction's own, so the pooled connections are as before.
     */
    @Test
    void aQueryOverTheStatementTimeoutIsCancelledAndLeavesTheConnectionsAsTheyWere() throws Exception {
        TestDatabase database = TestDatabase.fresh(TestDatabase.QUERY);
        try (ReadSide slow = ReadSide.start(database,
                ReadSide.settings(Duration.ofMillis(1), List.of(), List.of()))) {
            List<TwinEvent> batch = new ArrayList<>();
            for (int n = 0; n < 200; n++) {
                ObjectNode tags = JSON.createObjectNode();
                for (int k = 0; k < 40; k++) {
                    tags.put("k" + k, "value-" + n + "-" + k + "-" + "x".repeat(20));
                }
                batch.add(new TwinCreated("t-" + n, "t-" + n, null, tags, JSON.createObjectNode(), 1, 1, 1));
                if (batch.size() == 50) {
                    slow.project(batch.toArray(TwinEvent[]::new));
                    batch.clear();
                }
            }
            // About 8 KB of conditions, none of which holds, each reading a field of every twin.
            StringBuilder heavy = new StringBuilder("SELECT deviceId FROM devices WHERE CONTAINS(tags.k0, 'zz')");
            for (int i = 1; ; i++) {
                String next = " OR CONTAINS(tags.k" + (i % 40) + ", 'zz" + i + "')";
                if (heavy.length() + next.length() > TwinQuery.MAX_LENGTH) {
                    break;
                }
                heavy.append(next);
            }
            FleetQueryService fleet = slow.bean(FleetQueryService.class);
            for (int attempt = 0; attempt < 5; attempt++) {
                TwinException refused = catchThrowableOfType(TwinException.class,
                        () -> fleet.run(heavy.toString(), 1000, null, null));
                assertThat(refused).isNotNull();
                assertThat(refused.error().kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
                assertThat(refused.error().code()).isEqualTo("queryTimeout");
                assertThat(refused.error().detail()).contains("1 ms");
            }
            // Every connection of the pool, held at once: no statement timeout left behind, and each one works.
            List<Connection> held = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    held.add(database.dataSource().getConnection());
                }
                for (Connection connection : held) {
                    try (Statement statement = connection.createStatement();
                         ResultSet rs = statement.executeQuery("SHOW statement_timeout")) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).isEqualTo("0");
                    }
                    try (Statement statement = connection.createStatement();
                         ResultSet rs = statement.executeQuery("SELECT count(*) FROM twin_document")) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getLong(1)).isEqualTo(200);
                    }
                }
            } finally {
                for (Connection connection : held) {
                    connection.close();
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private List<TwinQueryPage> pages(String text, int pageSize) {
        List<TwinQueryPage> pages = new ArrayList<>();
        String token = null;
        do {
            TwinQueryPage page = service.run(text, pageSize, token, null);
            pages.add(page);
            token = page.continuationToken();
        } while (token != null && pages.size() < 1000);
        return pages;
    }

    private List<ObjectNode> all(String text, int pageSize) {
        return pages(text, pageSize).stream().flatMap(page -> page.items().stream()).toList();
    }

    private List<String> deviceIds(String text) {
        return all(text, 1000).stream().map(item -> item.get("deviceId").asText()).toList();
    }

    private List<String> expected(Predicate<Dev> predicate) {
        return devices.stream().filter(predicate).map(Dev::id).toList();
    }

    private List<String> ordered(String orderBy, int pageSize) {
        return all("SELECT deviceId FROM devices ORDER BY " + orderBy, pageSize).stream()
                .map(item -> item.get("deviceId").asText()).toList();
    }

    private List<String> sorted(Comparator<Dev> order) {
        return devices.stream().sorted(order).map(Dev::id).toList();
    }
}
