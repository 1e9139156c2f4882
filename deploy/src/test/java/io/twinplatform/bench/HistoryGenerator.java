package io.twinplatform.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.ChangedPaths;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.ReportedPropertiesPatched;
import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinEvent;
import io.twinplatform.api.twin.TwinPatched;
import io.twinplatform.api.twin.TwinStatus;
import io.twinplatform.api.twin.TwinStatusChanged;
import org.axonframework.common.DateTimeUtils;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.Serializer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

import javax.sql.DataSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A synthetic but valid twin history, written straight into Axon's event table {@code domain_event_entry} with
 * PostgreSQL's binary {@code COPY}: about a hundred times faster than the command gateway, which is what makes a
 * 10-million-event history possible in minutes.
 *
 * <p>The fleet: {@code twins} device twins {@value #PREFIX}000000, … created in the first quarter of the last
 * {@code days} days, each with a share of {@code events} proportional to a random weight (0.5 to 1.5), its events
 * spread evenly over the rest of the window with jitter, strictly increasing in time per twin. Version 1 is
 * {@link TwinCreated} (5 tag leaves, 5 desired leaves) by an operator; version 2 the device's first full report
 * (10 reported leaves); then about 90% {@link ReportedPropertiesPatched} of 2 to 4 leaves by principal
 * {@code device:<id>}, 6% desired patches ({@code api}, firmware through {@code rollout}, telemetry through
 * {@code configuration}), 3% tag patches and 1% {@link TwinStatusChanged}, by {@code principals} operators
 * ({@code user:alice0}, {@code user:bob1}, …). Global indexes follow time across the fleet, as commits would, so a
 * projection batch touches many twins, as it would live. The same {@code seed} gives the same history.
 *
 * <p>Rows are encoded as Axon's JDBC storage engine encodes them: payload and metadata through the platform's own
 * event serializer ({@link GenericDomainEventMessage#serializePayload}), the timestamp through
 * {@link DateTimeUtils#formatInstant}, sequence number = version - 1, the aggregate type as a command-written row
 * has it; metadata is {@link AuditMetadata#toMap()} plus the causation id, as the command side's correlation data
 * provider puts it. {@link #encode} is what {@code HistoryBenchmark} checks byte for byte against rows written
 * through the command gateway before it generates anything.
 */
final class HistoryGenerator {

    static final String PREFIX = "hb-";
    static final String FLEET = "hbench";
    static final String TRANSPORT = "http";

    /** The columns {@link #encode} fills, in the order of its binary tuples. */
    static final String COLUMNS = "global_index, event_identifier, meta_data, payload, payload_revision, payload_type,"
            + " time_stamp, aggregate_identifier, sequence_number, type";

    private static final byte[] COPY_HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0,
            0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] COPY_TRAILER = {(byte) 0xff, (byte) 0xff};
    private static final int CHUNK = 2_000;
    private static final int EVENTS_PER_TRANSACTION = 500_000;
    private static final String[] NAMES = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
            "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
            "yvonne"};
    private static final String[] TYPES = {"thermostat", "meter", "valve", "pump", "camera", "gateway", "lock",
            "sensor", "light", "hvac"};
    private static final String[] ENVIRONMENTS = {"prod", "staging", "dev"};
    private static final String[] FREQUENCIES = {"1m", "5m", "10m", "15m", "30m"};

    /** One event as it will be stored, before encoding. */
    record Spec(long globalIndex, String eventId, String twinId, TwinEvent event, Map<String, Object> metaData,
                Instant time) {
    }

    /** One encoded row: the column values in {@link #COLUMNS} order, the global index aside. */
    record Row(String eventId, byte[] metaData, byte[] payload, String payloadRevision, String payloadType,
               String timeStamp, String aggregateId, long sequenceNumber, String type) {
    }

    /** What {@link #write} did. */
    record Written(long events, long firstGlobalIndex, long lastGlobalIndex, Instant from, Instant to,
                   double seconds) {
    }

    /**
     * A twin's version bookkeeping: each method returns the event the aggregate would apply for that change, with
     * the twin, desired and reported versions it would give it.
     */
    static final class Cursor {
        private final String twinId;
        private long version;
        private long desiredVersion;
        private long reportedVersion;
        private boolean disabled;

        Cursor(String twinId) {
            this.twinId = twinId;
        }

        TwinCreated create(ObjectNode tags, ObjectNode desired) {
            version = 1;
            desiredVersion = 1;
            reportedVersion = 1;
            return new TwinCreated(twinId, twinId, null, tags, desired, desiredVersion, reportedVersion, version);
        }

        ReportedPropertiesPatched report(ObjectNode patch) {
            return new ReportedPropertiesPatched(twinId, patch, ++reportedVersion, ++version, null);
        }

        TwinPatched patch(ObjectNode tags, ObjectNode desired) {
            if (desired != null) {
                desiredVersion++;
            }
            return new TwinPatched(twinId, tags, desired, desiredVersion, ++version);
        }

        TwinStatusChanged status(TwinStatus status, String reason) {
            disabled = status == TwinStatus.DISABLED;
            return new TwinStatusChanged(twinId, status, reason, ++version);
        }
    }

    private final Serializer serializer;
    private final String aggregateType;
    private final int events;
    private final int twins;
    private final int days;
    private final int principals;
    private final long seed;

    HistoryGenerator(Serializer serializer, String aggregateType, int events, int twins, int days, int principals,
                     long seed) {
        if (twins < 1 || events < 2L * twins) {
            throw new IllegalArgumentException("bench.events must be at least twice bench.twins (a twin's creation"
                    + " and its first report)");
        }
        this.serializer = serializer;
        this.aggregateType = aggregateType;
        this.events = events;
        this.twins = twins;
        this.days = days;
        this.principals = principals;
        this.seed = seed;
    }

    @Override
    public String toString() {
        return String.format("%,d events over %,d twins in %d days, %d principals, seed %d", events, twins, days,
                principals, seed);
    }

    static String twinId(int twin) {
        return PREFIX + String.format("%06d", twin);
    }

    static String operator(int principal) {
        return "user:" + NAMES[principal % NAMES.length] + principal;
    }

    static String device(String twinId) {
        return "device:" + twinId;
    }

    /** Event metadata exactly as a command's {@link AuditMetadata} and its handling put it. */
    static Map<String, Object> metaData(AuditMetadata audit, String causationId) {
        Map<String, Object> meta = audit.toMap();
        meta.put(AuditMetadata.CAUSATION_ID, causationId);
        return meta;
    }

    /** The row Axon's JDBC storage engine would write for {@code spec}. */
    Row encode(Spec spec) {
        GenericDomainEventMessage<TwinEvent> message = new GenericDomainEventMessage<>(aggregateType, spec.twinId(),
                spec.event().version() - 1, spec.event(), spec.metaData(), spec.eventId(), spec.time());
        SerializedObject<byte[]> payload = message.serializePayload(serializer, byte[].class);
        SerializedObject<byte[]> metaData = message.serializeMetaData(serializer, byte[].class);
        return new Row(message.getIdentifier(), metaData.getData(), payload.getData(), payload.getType().getRevision(),
                payload.getType().getName(), DateTimeUtils.formatInstant(message.getTimestamp()),
                message.getAggregateIdentifier(), message.getSequenceNumber(), message.getType());
    }

    /** For the shape check: a spec of {@code event} with the given identity, metadata and time. */
    static Spec spec(String eventId, TwinEvent event, Map<String, Object> metaData, Instant time) {
        return new Spec(0, eventId, event.twinId(), event, new HashMap<>(metaData), time);
    }

    /** Whether two rows hold the same column values, byte for byte. */
    static boolean sameRow(Row a, Row b) {
        return a.eventId().equals(b.eventId()) && Arrays.equals(a.metaData(), b.metaData())
                && Arrays.equals(a.payload(), b.payload()) && a.payloadRevision().equals(b.payloadRevision())
                && a.payloadType().equals(b.payloadType()) && a.timeStamp().equals(b.timeStamp())
                && a.aggregateId().equals(b.aggregateId()) && a.sequenceNumber() == b.sequenceNumber()
                && a.type().equals(b.type());
    }

    /**
     * Generates the whole history and COPYs it into {@code domain_event_entry} from global index
     * {@code firstGlobalIndex} on (in transactions of {@value #EVENTS_PER_TRANSACTION} events), and one
     * {@code twin_registry} row per twin, as the write side's subscribing registry would have written. The global
     * index sequence is moved past the last row. Encoding runs on {@code encoders} threads; generation and the
     * COPY stream on the caller's.
     */
    Written write(DataSource dataSource, long firstGlobalIndex, Instant now, int encoders, boolean historyRows)
            throws Exception {
        long start = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        long windowStart = now.toEpochMilli() - days * 86_400_000L;
        long window = now.toEpochMilli() - windowStart;
        int[] counts = share(random);
        long[] created = new long[twins];
        long[] gap = new long[twins];
        long[] next = new long[twins];
        int[] emitted = new int[twins];
        Cursor[] cursors = new Cursor[twins];
        PriorityQueue<Integer> due = new PriorityQueue<>(twins, (a, b) -> next[a] != next[b]
                ? Long.compare(next[a], next[b]) : Integer.compare(a, b));
        for (int t = 0; t < twins; t++) {
            created[t] = windowStart + random.nextLong(window / 4);
            gap[t] = Math.max(10, (now.toEpochMilli() - created[t]) / counts[t]);
            next[t] = created[t];
            cursors[t] = new Cursor(twinId(t));
            due.add(t);
        }

        ExecutorService pool = Executors.newFixedThreadPool(encoders, r -> {
            Thread thread = new Thread(r, "history-generator-encoder");
            thread.setDaemon(true);
            return thread;
        });
        long globalIndex = firstGlobalIndex;
        try (Connection connection = dataSource.getConnection();
             Connection historyConnection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            CopySink sink = new CopySink(connection, start);
            HistoryRows history = historyRows ? new HistoryRows(historyConnection) : null;
            copyRegistry(sink.pg);
            Deque<Future<Encoded>> pending = new ArrayDeque<>();
            List<Spec> chunk = new ArrayList<>(CHUNK);
            for (long n = 0; n < events; n++) {
                int t = due.poll();
                Spec spec = next(t, cursors[t], emitted[t], random, globalIndex++, next[t]);
                chunk.add(spec);
                if (history != null) {
                    history.add(t, spec);
                }
                emitted[t]++;
                if (emitted[t] < counts[t]) {
                    // strictly increasing per twin: event k lies in [k, k + 0.9) gaps after the creation
                    next[t] = created[t] + emitted[t] * gap[t] + (long) (random.nextDouble() * 0.9 * gap[t]);
                    due.add(t);
                }
                if (chunk.size() == CHUNK) {
                    List<Spec> specs = chunk;
                    pending.add(pool.submit(() -> tuples(specs)));
                    chunk = new ArrayList<>(CHUNK);
                }
                // keep every encoder busy, and memory bounded
                while (pending.size() > 2 * encoders + 2) {
                    sink.write(pending.poll().get());
                }
            }
            if (!chunk.isEmpty()) {
                sink.write(tuples(chunk));
            }
            while (!pending.isEmpty()) {
                sink.write(pending.poll().get());
            }
            sink.commit();
            if (history != null) {
                history.finish();
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT setval(pg_get_serial_sequence('domain_event_entry', 'global_index'),"
                        + " (SELECT max(global_index) FROM domain_event_entry))");
            }
            connection.commit();
        } finally {
            pool.shutdownNow();
        }
        return new Written(events, firstGlobalIndex, globalIndex - 1, Instant.ofEpochMilli(windowStart), now,
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * The COPY stream into {@code domain_event_entry}: opened on the first chunk, committed every
     * {@value #EVENTS_PER_TRANSACTION} events (with a progress line) and at the end.
     */
    private final class CopySink {
        private final Connection connection;
        private final PGConnection pg;
        private final long start;
        private CopyIn copy;
        private long inTransaction;
        private long copied;

        CopySink(Connection connection, long start) throws SQLException {
            this.connection = connection;
            this.pg = connection.unwrap(PGConnection.class);
            this.start = start;
        }

        void write(Encoded encoded) throws SQLException {
            if (copy == null) {
                copy = pg.getCopyAPI().copyIn("COPY domain_event_entry (" + COLUMNS + ") FROM STDIN (FORMAT binary)");
                copy.writeToCopy(COPY_HEADER, 0, COPY_HEADER.length);
            }
            copy.writeToCopy(encoded.tuples(), 0, encoded.tuples().length);
            inTransaction += encoded.rows();
            copied += encoded.rows();
            if (inTransaction >= EVENTS_PER_TRANSACTION) {
                commit();
            }
        }

        void commit() throws SQLException {
            if (copy == null) {
                return;
            }
            copy.writeToCopy(COPY_TRAILER, 0, COPY_TRAILER.length);
            copy.endCopy();
            connection.commit();
            copy = null;
            inTransaction = 0;
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("  copied %,d of %,d events in %.0f s (%,.0f/s)%n", copied, events, seconds,
                    copied / seconds);
        }
    }

    /**
     * The history table's rows for the generated events, as the history projection would write them (the twin folded
     * with the platform's own {@link TwinState}, the change as the event's JSON, the paths it changes), COPYed in CSV
     * on a second connection while the events are, and each twin's head pointer at the end. For the large scale, where
     * the projection itself would take longer than the rest of the benchmark; its rate is measured on its own.
     */
    private final class HistoryRows {
        private static final String COLUMNS = "time, twin_id, device_id, module_id, version, desired_version,"
                + " reported_version, event_type, event_id, global_index, principal, channel, transport,"
                + " correlation_id, causation_id, reason, paths, change, state";

        private final Connection connection;
        private final CopyManager copies;
        private final TwinState[] states = new TwinState[twins];
        private final Instant[] times = new Instant[twins];
        private final ObjectMapper json = TwinJson.newMapper();
        private final StringBuilder buffer = new StringBuilder(1 << 20);
        private CopyIn copy;
        private long inTransaction;

        HistoryRows(Connection connection) throws SQLException {
            this.connection = connection;
            connection.setAutoCommit(false);
            this.copies = connection.unwrap(PGConnection.class).getCopyAPI();
        }

        void add(int twin, Spec spec) throws Exception {
            TwinEvent event = spec.event();
            if (event instanceof TwinCreated created) {
                states[twin] = TwinState.created(created, spec.time());
            } else {
                states[twin].apply(event, spec.time());
            }
            TwinState state = states[twin];
            times[twin] = spec.time();
            Map<String, Object> meta = spec.metaData();
            StringBuilder line = buffer;
            csv(line, spec.time().toString()).append(',');
            csv(line, spec.twinId()).append(',');
            csv(line, state.deviceId()).append(',');
            csv(line, state.moduleId()).append(',');
            line.append(event.version()).append(',');
            line.append(state.deleted() ? "" : state.desired().version()).append(',');
            line.append(state.deleted() ? "" : state.reported().version()).append(',');
            csv(line, event.getClass().getSimpleName()).append(',');
            csv(line, spec.eventId()).append(',');
            line.append(spec.globalIndex()).append(',');
            for (String key : List.of(AuditMetadata.PRINCIPAL, AuditMetadata.CHANNEL, AuditMetadata.TRANSPORT,
                    AuditMetadata.CORRELATION_ID, AuditMetadata.CAUSATION_ID, AuditMetadata.REASON)) {
                Object value = meta.get(key);
                csv(line, value == null ? null : value.toString()).append(',');
            }
            StringBuilder paths = new StringBuilder("{");
            for (String path : ChangedPaths.of(event)) {
                paths.append(paths.length() > 1 ? "," : "").append('"')
                        .append(path.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
            csv(line, paths.append('}').toString()).append(',');
            csv(line, json.writeValueAsString(event)).append(',');
            csv(line, state.deleted() ? null : state.toJson()).append('\n');
            if (buffer.length() > (1 << 20)) {
                flush();
            }
            if (++inTransaction >= EVENTS_PER_TRANSACTION) {
                commit();
            }
        }

        private StringBuilder csv(StringBuilder line, String value) {
            if (value != null) {
                line.append('"').append(value.replace("\"", "\"\"")).append('"');
            }
            return line;
        }

        private void flush() throws SQLException {
            if (buffer.isEmpty()) {
                return;
            }
            if (copy == null) {
                copy = copies.copyIn("COPY twin_history (" + COLUMNS + ") FROM STDIN (FORMAT csv)");
            }
            byte[] bytes = buffer.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            buffer.setLength(0);
        }

        private void commit() throws SQLException {
            flush();
            if (copy != null) {
                copy.endCopy();
                copy = null;
            }
            connection.commit();
            inTransaction = 0;
        }

        /** The last rows, and each twin's head: its latest version and that row's time. */
        void finish() throws Exception {
            commit();
            StringBuilder heads = new StringBuilder();
            for (int t = 0; t < twins; t++) {
                if (states[t] != null) {
                    heads.append(twinId(t)).append(',').append(states[t].version()).append(',')
                            .append(times[t]).append('\n');
                }
            }
            copies.copyIn("COPY twin_history_head (twin_id, version, time) FROM STDIN (FORMAT csv)",
                    new StringReader(heads.toString()));
            connection.commit();
        }
    }

    /** Each twin's number of events: a share of {@code events} by a random weight, at least 2, summing exactly. */
    private int[] share(SplittableRandom random) {
        double[] weight = new double[twins];
        double sum = 0;
        for (int t = 0; t < twins; t++) {
            weight[t] = 0.5 + random.nextDouble();
            sum += weight[t];
        }
        int[] count = new int[twins];
        long total = 0;
        for (int t = 0; t < twins; t++) {
            count[t] = Math.max(2, (int) (events * weight[t] / sum));
            total += count[t];
        }
        while (total != events) {
            int t = random.nextInt(twins);
            if (total < events) {
                count[t]++;
                total++;
            } else if (count[t] > 2) {
                count[t]--;
                total--;
            }
        }
        return count;
    }

    /** The twin's next event: created, then its first full report, then the mix described above. */
    private Spec next(int twin, Cursor cursor, int emitted, SplittableRandom random, long globalIndex, long time) {
        String twinId = twinId(twin);
        TwinEvent event;
        AuditMetadata audit;
        if (emitted == 0) {
            event = cursor.create(tags(twin, random), desired(random));
            audit = operatorAudit(random, Channel.API, null);
        } else if (emitted == 1) {
            event = cursor.report(fullReport(random));
            audit = deviceAudit(twinId, random);
        } else {
            double kind = random.nextDouble();
            if (kind < 0.90) {
                event = cursor.report(reportPatch(random));
                audit = deviceAudit(twinId, random);
            } else if (kind < 0.96) {
                int which = random.nextInt(10);
                ObjectNode desired = JsonNodeFactory.instance.objectNode();
                Channel channel = Channel.API;
                if (which < 2) {
                    desired.putObject("firmware").put("version", "2." + random.nextInt(8));
                    channel = Channel.ROLLOUT;
                } else if (which < 4) {
                    desired.putObject("telemetryConfig")
                            .put("sendFrequency", FREQUENCIES[random.nextInt(FREQUENCIES.length)]);
                    channel = Channel.CONFIGURATION;
                } else if (which < 8) {
                    desired.putObject("thresholds").put("high", 28 + random.nextInt(15));
                } else {
                    desired.put("mode", random.nextBoolean() ? "eco" : "normal");
                }
                event = cursor.patch(null, desired);
                String reason = random.nextInt(3) == 0 ? "change CHG-" + random.nextInt(10_000) : null;
                audit = operatorAudit(random, channel, reason);
            } else if (kind < 0.99) {
                ObjectNode tags = JsonNodeFactory.instance.objectNode();
                if (random.nextBoolean()) {
                    tags.putObject("location").put("floor", random.nextInt(20));
                } else {
                    tags.put("environment", ENVIRONMENTS[random.nextInt(ENVIRONMENTS.length)]);
                }
                event = cursor.patch(tags, null);
                audit = operatorAudit(random, Channel.API, null);
            } else {
                event = cursor.disabled ? cursor.status(TwinStatus.ENABLED, null)
                        : cursor.status(TwinStatus.DISABLED, "maintenance window");
                audit = operatorAudit(random, Channel.API, "maintenance ticket M-" + random.nextInt(1_000));
            }
        }
        return new Spec(globalIndex, uuid(random), twinId, event, metaData(audit, uuid(random)),
                Instant.ofEpochMilli(time));
    }

    private AuditMetadata operatorAudit(SplittableRandom random, Channel channel, String reason) {
        return new AuditMetadata(operator(random.nextInt(principals)), channel, TRANSPORT, uuid(random), reason);
    }

    private static AuditMetadata deviceAudit(String twinId, SplittableRandom random) {
        return new AuditMetadata(device(twinId), Channel.DEVICE, TRANSPORT, uuid(random), null);
    }

    static ObjectNode tags(int twin, SplittableRandom random) {
        ObjectNode tags = JsonNodeFactory.instance.objectNode();
        tags.put("fleet", FLEET);
        tags.put("deviceType", TYPES[random.nextInt(TYPES.length)]);
        tags.put("environment", ENVIRONMENTS[random.nextInt(ENVIRONMENTS.length)]);
        ObjectNode location = tags.putObject("location");
        location.put("building", "b-" + twin / 100);
        location.put("floor", random.nextInt(20));
        return tags;
    }

    static ObjectNode desired(SplittableRandom random) {
        ObjectNode desired = JsonNodeFactory.instance.objectNode();
        desired.putObject("telemetryConfig").put("sendFrequency", FREQUENCIES[random.nextInt(FREQUENCIES.length)]);
        desired.putObject("firmware").put("version", "2." + random.nextInt(8));
        ObjectNode thresholds = desired.putObject("thresholds");
        thresholds.put("high", 28 + random.nextInt(15));
        thresholds.put("low", random.nextInt(10));
        desired.put("mode", "normal");
        return desired;
    }

    static ObjectNode fullReport(SplittableRandom random) {
        ObjectNode reported = reportPatch(random);
        reported.put("pressure", 980 + random.nextInt(60));
        reported.put("rssi", -90 + random.nextInt(50));
        reported.put("uptime", random.nextInt(1_000_000));
        ObjectNode battery = reported.putObject("battery");
        battery.put("level", random.nextInt(101));
        battery.put("voltage", (30 + random.nextInt(13)) / 10.0);
        reported.putObject("firmware").put("version", "2." + random.nextInt(8)).put("state", "Current");
        reported.putObject("telemetryConfig").put("status", "Success");
        return reported;
    }

    /** Temperature (15 to 40) and humidity always, sometimes one more reading, rarely the firmware. */
    static ObjectNode reportPatch(SplittableRandom random) {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        patch.put("temperature", Math.round((15 + random.nextDouble() * 25) * 100) / 100.0);
        patch.put("humidity", Math.round((20 + random.nextDouble() * 60) * 10) / 10.0);
        switch (random.nextInt(8)) {
            case 0 -> patch.put("rssi", -90 + random.nextInt(50));
            case 1 -> patch.putObject("battery").put("level", random.nextInt(101));
            case 2 -> patch.put("uptime", random.nextInt(1_000_000));
            case 3 -> patch.put("pressure", 980 + random.nextInt(60));
            default -> {
            }
        }
        if (random.nextInt(50) == 0) {
            patch.putObject("firmware").put("version", "2." + random.nextInt(8)).put("state", "Current");
        }
        return patch;
    }

    /** A version-4 UUID from the generator's random (not SecureRandom: 30 million of them must be cheap). */
    private static String uuid(SplittableRandom random) {
        long most = random.nextLong() & ~0xF000L | 0x4000L;
        long least = random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L;
        return new UUID(most, least).toString();
    }

    /** A chunk's binary COPY tuples, and how many rows they hold. */
    private record Encoded(byte[] tuples, int rows) {
    }

    private Encoded tuples(List<Spec> specs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(specs.size() * 1024);
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            for (Spec spec : specs) {
                Row row = encode(spec);
                out.writeShort(10);
                out.writeInt(8);
                out.writeLong(spec.globalIndex());
                text(out, row.eventId());
                binary(out, row.metaData());
                binary(out, row.payload());
                text(out, row.payloadRevision());
                text(out, row.payloadType());
                text(out, row.timeStamp());
                text(out, row.aggregateId());
                out.writeInt(8);
                out.writeLong(row.sequenceNumber());
                text(out, row.type());
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Encoded(bytes.toByteArray(), specs.size());
    }

    private static void text(DataOutputStream out, String value) throws IOException {
        binary(out, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    private static void binary(DataOutputStream out, byte[] value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(value.length);
            out.write(value);
        }
    }

    /** The generated twins' rows of the write side's registry (its subscribing handler never sees COPYed events). */
    private void copyRegistry(PGConnection pg) throws SQLException, IOException {
        StringBuilder rows = new StringBuilder(twins * 32);
        for (int t = 0; t < twins; t++) {
            String id = twinId(t);
            rows.append(id).append('\t').append(id).append("\t\\N\tf\n");
        }
        byte[] data = rows.toString().getBytes(StandardCharsets.UTF_8);
        pg.getCopyAPI().copyIn("COPY twin_registry (twin_id, device_id, module_id, deleted) FROM STDIN",
                new ByteArrayInputStream(data));
    }
}
