package io.twinplatform.bench;

import static io.twinplatform.bench.BenchSupport.reported;
import static io.twinplatform.bench.BenchSupport.tags;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PutTwin;
import io.twinplatform.deploy.KafkaTestBroker;
import io.twinplatform.history.kafka.KafkaPublisher;
import io.twinplatform.history.kafka.KafkaSettings;
import io.twinplatform.history.kafka.KafkaStream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.serialization.Serializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The Kafka publisher ({@value KafkaPublisher#PROCESSOR}) against the target: keeps up with at least 5,000
 * events/s, and p99 &lt; 500 ms from a command accepted to its record consumed, at the twin core benchmark's load;
 * each figure beside the raw limit measured in the same run.
 *
 * <p>One JVM holds an in-JVM KRaft broker ({@link KafkaTestBroker}) and the whole platform (embedded PostgreSQL in a
 * fresh temporary directory, deleted at the end) with {@code twin.kafka.bootstrap-servers} set. Phases:
 * <ol>
 *   <li><b>Backlog drain.</b> The publisher is stopped right after the start; {@link HistoryGenerator} COPYs a
 *   history of {@code bench.twins} twins (default 10,000) straight into the event table; every other streaming
 *   processor's token is moved to the head and they stay stopped until phase 3, so the publisher works alone. Its
 *   token is then placed so that it has exactly {@code bench.events} events to send (default 500,000), all after
 *   the last twin's creation: like a publisher restarted behind the store, its state cache is empty and every twin
 *   it meets is first folded from the event store. Timed from {@code start()} until the lowest segment's position reaches the head (every record
 *   acknowledged, token committed).</li>
 *   <li><b>Raw producer limit.</b> The records the publisher just wrote are read back from both topics (untimed),
 *   then sent again, same keys, bytes and headers, by one thread through a plain {@code KafkaProducer} with the
 *   publisher's settings (acks=all, idempotent, lz4, linger 5 ms) to two new topics with the same partitions; flush at
 *   the end, after an untimed warm-up to scratch topics. Every streaming processor is stopped meanwhile.</li>
 *   <li><b>End-to-end latency at the core load.</b> {@code bench.twins} fresh twins, then {@code bench.threads}
 *   threads (default 32) send {@link PatchReportedProperties} through the command gateway for {@code bench.seconds}
 *   (default 60), each with its own correlation id; a consumer assigned to every partition of the events topic
 *   (positioned at the end before the load) takes each record's {@code data.metadata.correlationId}. Latency =
 *   consumed - accepted (sendAndWait returned), and consumed - sent for context; the publisher's lag is sampled every
 *   100 ms. Then, as the floor: a plain producer sends event and state records at the load's rate for
 *   {@code bench.raw-seconds} (default 10) and a consumer times send to consume. On a small machine this load
 *   saturates the CPU and the publisher falls behind, so these figures are queueing; phase 4 finds the rates at which
 *   it keeps up.</li>
 *   <li><b>Fixed-rate sweep.</b> For each rate of {@code bench.rates} (events/s, default 250,500,1000,1500), an open
 *   loop: command {@code i} is due at {@code start + i / rate}, for {@code bench.rate-seconds} (default 30); up to
 *   {@code bench.rate-threads} threads (default 32) each take the next due command, wait for its time and send it, so
 *   a slow command does not delay the ones after it unless every thread is busy. Latency is measured from the
 *   intended send time (no coordinated omission) and from the actual send; records are matched by correlation id as
 *   in phase 3; the publisher's lag is sampled every 100 ms; then the raw floor at the same rate. Before each rate
 *   the publisher's lag reaches 0 (and every other streaming processor the head), then a 5 s pause. The sweep stops after a rate that could not be offered
 *   (achieved &lt; 90% of the rate) or after which the publisher's lag exceeded 10 s of that rate's events.</li>
 * </ol>
 * Run: {@code ./mvnw -Pbench -Dbench.main=io.twinplatform.bench.KafkaBenchmark -DskipTests -pl deploy -am verify}.
 */
public final class KafkaBenchmark {

    private static final int EVENTS = Integer.getInteger("bench.events", 500_000);
    private static final int TWINS = Integer.getInteger("bench.twins", 10_000);
    private static final int THREADS = Integer.getInteger("bench.threads", 32);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 60);
    private static final int RAW_SECONDS = Integer.getInteger("bench.raw-seconds", 10);
    private static final List<Integer> RATES = Arrays.stream(System.getProperty("bench.rates", "250,500,1000,1500")
            .split(",")).map(String::trim).filter(rate -> !rate.isEmpty()).map(Integer::valueOf).toList();
    private static final int RATE_SECONDS = Integer.getInteger("bench.rate-seconds", 30);
    private static final int RATE_THREADS = Integer.getInteger("bench.rate-threads", 32);
    /** The p99 target: command accepted to record consumed. */
    private static final double TARGET_P99_MS = 500;
    private static final int DAYS = Integer.getInteger("bench.days", 30);
    private static final long SEED = Long.getLong("bench.seed", 42);
    /** Whether the topics exist before the drain (as after a restart); false lets the publisher create them. */
    private static final boolean PRECREATE = Boolean.parseBoolean(System.getProperty("bench.precreate-topics", "true"));
    private static final String PROCESSOR = KafkaPublisher.PROCESSOR;

    private final ConfigurableApplicationContext app;
    private final KafkaTestBroker broker;
    private final JdbcTemplate jdbc;
    private final DataSource dataSource;
    private final KafkaStream stream;
    private final KafkaPublisher publisher;
    private final KafkaSettings settings;
    private final CommandGateway commands;
    private final ObjectMapper json = new ObjectMapper();
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final List<String> table = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    // what phase 1 leaves for phase 2, and phase 2 for phase 3
    private long drainedEvents;
    private long twinsFolded;
    private double drainSeconds;
    private double rawRecordsPerSecond;
    private List<Stored> sampleEvents = List.of();
    private List<Stored> sampleStates = List.of();
    // what phase 3 leaves for phase 4
    private String[] twins = new String[0];

    private KafkaBenchmark(ConfigurableApplicationContext app, KafkaTestBroker broker) {
        this.app = app;
        this.broker = broker;
        this.dataSource = app.getBean(DataSource.class);
        this.jdbc = new JdbcTemplate(dataSource);
        this.stream = app.getBean(KafkaStream.class);
        this.publisher = app.getBean(KafkaPublisher.class);
        this.settings = app.getBean(KafkaSettings.class);
        this.commands = app.getBean(CommandGateway.class);
    }

    public static void main(String[] args) throws Exception {
        System.out.printf("machine: %d cores, %s %s, Java %s, max heap %,d MB; load average before start: %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() / 1048576, loadAverage());
        System.out.printf("options: bench.events=%,d bench.twins=%,d bench.threads=%d bench.seconds=%d"
                        + " bench.raw-seconds=%d bench.rates=%s bench.rate-seconds=%d bench.rate-threads=%d%n", EVENTS,
                TWINS, THREADS, SECONDS, RAW_SECONDS, RATES.stream().map(String::valueOf).collect(
                        java.util.stream.Collectors.joining(",")), RATE_SECONDS, RATE_THREADS);
        // the broker starts before Spring Boot configures logging (root at warn, as BenchSupport sets it)
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        Path dataDir = Files.createTempDirectory("twin-kafka-bench");
        KafkaTestBroker broker = KafkaTestBroker.start();
        ConfigurableApplicationContext app = null;
        boolean ok = false;
        try {
            app = BenchSupport.start(dataDir, Map.of("twin.kafka.bootstrap-servers", broker.bootstrapServers()));
            // Before anything is written: the publisher must not see the generation.
            processor(app, PROCESSOR).shutdownAsync().get(60, TimeUnit.SECONDS);
            ok = new KafkaBenchmark(app, broker).run();
        } finally {
            if (app != null) {
                app.close();
            }
            broker.close();
            BenchSupport.deleteRecursively(dataDir);
            System.out.printf("closed the platform and the broker; deleted %s; load average at the end: %s%n",
                    dataDir, loadAverage());
        }
        if (!ok) {
            throw new IllegalStateException("the Kafka benchmark failed a check: see the lines marked FAILED");
        }
    }

    /** Runs the four phases; false when a check failed (the figures are printed anyway). */
    private boolean run() throws Exception {
        boolean ok = drain();
        ok &= rawProducer();
        ok &= latency();
        ok &= sweep();
        System.out.println();
        System.out.println("== Kafka benchmark ==");
        System.out.println("| figure | publisher | raw limit, same run | publisher / raw | target |");
        System.out.println("|---|---|---|---|---|");
        table.forEach(System.out::println);
        System.out.println();
        notes.forEach(note -> System.out.println("- " + note));
        if (!ok) {
            System.out.println("SOME CHECKS FAILED: see the lines marked FAILED above");
        }
        return ok;
    }

    // ------------------------------------------------------------------------------------------- phase 1: drain

    private boolean drain() throws Exception {
        System.out.println();
        System.out.println("== phase 1: backlog drain (publisher alone, cold state cache) ==");
        Map<String, StreamingEventProcessor> processors = processors();
        String aggregateType = aggregateType();
        for (StreamingEventProcessor processor : processors.values()) {
            processor.shutdownAsync().get(60, TimeUnit.SECONDS);
        }
        long max = count("SELECT coalesce(max(global_index), 0) FROM domain_event_entry");

        // Generate enough that exactly EVENTS follow the last creation: about 86% of a history follows it (twins are
        // created in the first quarter of the window), so a quarter more is plenty.
        int generate = Math.max(2 * TWINS, (int) Math.min(Integer.MAX_VALUE, EVENTS * 5L / 4 + 2L * TWINS));
        HistoryGenerator generator = new HistoryGenerator(app.getBean("eventSerializer", Serializer.class),
                aggregateType, generate, TWINS, DAYS, 50, SEED);
        System.out.printf("generating %s (aggregate type %s)%n", generator, aggregateType);
        HistoryGenerator.Written written = generator.write(dataSource, max + 1,
                Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60),
                Math.max(1, Runtime.getRuntime().availableProcessors()), false);
        System.out.printf("generation: %,d events (global index %,d to %,d) by binary COPY in %.1f s (not timed"
                        + " below)%n", written.events(), written.firstGlobalIndex(), written.lastGlobalIndex(),
                written.seconds());
        long vacuum = System.nanoTime();
        jdbc.execute("VACUUM ANALYZE domain_event_entry");
        System.out.printf("VACUUM ANALYZE domain_event_entry: %.1f s (outside the timing, so autovacuum does not"
                + " start during it)%n", (System.nanoTime() - vacuum) / 1e9);

        long head = written.lastGlobalIndex();
        long lastCreation = count("SELECT max(global_index) FROM domain_event_entry WHERE payload_type LIKE"
                + " '%.TwinCreated' AND global_index >= ?", written.firstGlobalIndex());
        long from = Math.max(lastCreation, head - EVENTS);
        if (from > head - EVENTS) {
            System.out.printf("FAILED to place %,d events after the last creation (%,d): draining %,d%n", EVENTS,
                    lastCreation, head - from);
        }
        long twinsInRange = count("SELECT count(DISTINCT aggregate_identifier) FROM domain_event_entry"
                + " WHERE global_index > ?", from);
        long foldedEvents = count("SELECT count(*) FROM domain_event_entry e WHERE global_index <= ?"
                + " AND aggregate_identifier LIKE ?", from, HistoryGenerator.PREFIX + "%");

        // Every other streaming processor skips the generated events; the publisher starts right after `from`.
        TrackingToken headToken = app.getBean(EventStorageEngine.class).createHeadToken();
        TokenStore tokens = app.getBean(TokenStore.class);
        TransactionManager transactions = app.getBean(TransactionManager.class);
        List<String> skipped = new ArrayList<>();
        for (String name : processors.keySet()) {
            TrackingToken token = name.equals(PROCESSOR)
                    ? GapAwareTrackingToken.newInstance(from, Collections.emptySet()) : headToken;
            int[] segments = tokens.fetchSegments(name);
            if (segments.length == 0) {
                throw new IllegalStateException("processor " + name + " has no token segments yet");
            }
            for (int segment : segments) {
                transactions.executeInTransaction(() -> tokens.storeToken(token, name, segment));
            }
            if (!name.equals(PROCESSOR)) {
                skipped.add(name);
            }
        }
        // They stay stopped until phase 3: with nothing to do they would still take CPU (after a backlog, Axon's
        // EmbeddedEventStore lets idle tracking processors whose token it cannot find in its cache poll in a loop).
        System.out.printf("tokens moved to the head (%,d), kept stopped until phase 3: %s%n", head,
                String.join(", ", skipped));
        // After a restart the topics exist: create them as the publisher would, so its first batch only checks.
        if (PRECREATE) {
            createTopics(List.of(
                    new NewTopic(settings.eventsTopic(), settings.partitions(), settings.replicationFactor()),
                    new NewTopic(settings.stateTopic(), settings.partitions(), settings.replicationFactor())
                            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
        } else {
            System.out.println("topics not created beforehand (bench.precreate-topics=false): the publisher's first"
                    + " batch creates them");
        }
        System.out.printf("publisher token at global index %,d: %,d events to send for %,d twins; its state cache is"
                        + " empty (fresh process, no event seen), so each of those twins is folded from the event store"
                        + " on its first event (%,d earlier events of theirs in the store to read) - included in the"
                        + " timing%n", from, head - from, twinsInRange, foldedEvents);

        long published = publisher.published();
        StreamingEventProcessor kafka = processors.get(PROCESSOR);
        int segments = tokens.fetchSegments(PROCESSOR).length;
        System.gc(); // the generator's garbage, collected outside the timing
        String loadBefore = loadAverage();
        // the first fifth (every twin's fold, and the JIT warming up in this fresh JVM) and the rest, apart
        long fifth = from + (head - from) / 5;
        long fifthAt = 0;
        CpuSample cpu = CpuSample.now();
        long start = System.nanoTime();
        kafka.start();
        long lastPrint = start;
        long lastMove = start;
        long lastPosition = -1;
        while (true) {
            long position = position(kafka, segments);
            long now = System.nanoTime();
            if (fifthAt == 0 && position >= fifth) {
                fifthAt = now;
            }
            if (position >= head) {
                break;
            }
            if (position != lastPosition) {
                lastPosition = position;
                lastMove = now;
            }
            if (now - lastMove > TimeUnit.MINUTES.toNanos(5)) {
                System.out.printf("FAILED: the publisher has not moved for 5 minutes: %s%n", stream.describe());
                return false;
            }
            if (now - lastPrint > TimeUnit.SECONDS.toNanos(10)) {
                lastPrint = now;
                Map<String, Object> view = stream.describe();
                System.out.printf("  %.0f s: position %,d, lag %s, state %s%s%n", (now - start) / 1e9, position,
                        view.get("lag"), view.get("state"),
                        view.containsKey("lastError") ? ", last error " + view.get("lastError") : "");
            }
            Thread.sleep(20);
        }
        drainSeconds = (System.nanoTime() - start) / 1e9;
        CpuSample cpuEnd = CpuSample.now();
        String cpuUse = cpu.since(cpuEnd);
        drainedEvents = head - from;
        long acknowledged = publisher.published() - published;
        Map<String, Object> after = stream.describe();
        long eventRecords = endOffsets(settings.eventsTopic());
        long stateRecords = endOffsets(settings.stateTopic());
        boolean ok = acknowledged == drainedEvents && eventRecords == drainedEvents && stateRecords == drainedEvents
                && !after.containsKey("lastError");
        double eventsPerSecond = drainedEvents / drainSeconds;
        double recordsPerSecond = (eventRecords + stateRecords) / drainSeconds;
        System.out.printf("drain: %,d events in %.1f s = %,.0f events/s, %,.0f records/s (%,d on %s + %,d on %s);"
                        + " publisher counted %,d acknowledged events; state %s, lag %s%s; %s; load average %s before,"
                        + " %s after%n", drainedEvents, drainSeconds, eventsPerSecond, recordsPerSecond, eventRecords,
                settings.eventsTopic(), stateRecords, settings.stateTopic(), acknowledged, after.get("state"),
                after.get("lag"), after.containsKey("lastError") ? ", last error " + after.get("lastError") : "",
                cpuUse, loadBefore, loadAverage());
        double restSeconds = (start + (long) (drainSeconds * 1e9) - fifthAt) / 1e9;
        System.out.printf("  of which the first fifth (%,d events: every twin's first sight, JIT warm-up) took %.1f s ="
                        + " %,.0f events/s, the other four fifths %.1f s = %,.0f events/s%n", fifth - from,
                (fifthAt - start) / 1e9, (fifth - from) / ((fifthAt - start) / 1e9), restSeconds,
                (head - fifth) / restSeconds);
        long publisherNanos = cpu.groupNanos(cpuEnd, "publisher") + cpu.groupNanos(cpuEnd, "publisher's producer I/O");
        System.out.printf("publisher CPU: %.3f ms per event (its processor threads and its producer's I/O thread;"
                + " the broker's share not included) = at most %,.0f events/s per fully available core%n",
                publisherNanos / 1e6 / drainedEvents, drainedEvents / (publisherNanos / 1e9));
        if (!ok) {
            System.out.println("FAILED: the topics or the publisher's count do not hold exactly one record per event"
                    + " and topic (a batch sent twice after a failure, or records missing)");
        }
        twinsFolded = twinsInRange;
        return ok;
    }

    /** The aggregate type Axon stores for a twin, from one twin written through the command gateway. */
    private String aggregateType() {
        String twin = "kb-shape-" + runId;
        commands.sendAndWait(GenericCommandMessage.asCommandMessage(new PutTwin(twin, null, null, null, false))
                .andMetaData(BenchSupport.audit(Channel.API).toMap()));
        return jdbc.queryForObject("SELECT type FROM domain_event_entry WHERE aggregate_identifier = ? LIMIT 1",
                String.class, twin);
    }

    /** The lowest position among the processor's segments; -1 until every segment reports one. */
    private static long position(StreamingEventProcessor processor, int segments) {
        Map<Integer, EventTrackerStatus> status = processor.processingStatus();
        if (status.size() < segments) {
            return -1;
        }
        long lowest = Long.MAX_VALUE;
        for (EventTrackerStatus each : status.values()) {
            OptionalLong position = each.getCurrentPosition();
            lowest = Math.min(lowest, position.orElse(-1));
        }
        return lowest;
    }

    // ------------------------------------------------------------------------------------ phase 2: raw producer

    /** A record as read back: what is sent again. */
    private record Stored(String key, byte[] value, Header[] headers) {
    }

    private boolean rawProducer() throws Exception {
        System.out.println();
        System.out.println("== phase 2: raw limit, a plain KafkaProducer with the publisher's settings, one thread ==");
        // Nothing is written during this phase: the idle publisher is stopped too (started again in phase 3).
        processors().get(PROCESSOR).shutdownAsync().get(60, TimeUnit.SECONDS);
        System.out.println("every streaming processor stopped for this phase (nothing is written during it)");
        long readStart = System.nanoTime();
        List<Stored> events = readAll(settings.eventsTopic());
        List<Stored> states = readAll(settings.stateTopic());
        long bytes = 0;
        for (List<Stored> list : List.of(events, states)) {
            for (Stored record : list) {
                bytes += record.value() == null ? 0 : record.value().length;
            }
        }
        System.out.printf("read back %,d event records and %,d state records (%,.1f MB of values) in %.1f s (not"
                        + " timed)%n", events.size(), states.size(), bytes / 1048576.0,
                (System.nanoTime() - readStart) / 1e9);
        boolean complete = events.size() == drainedEvents && states.size() == drainedEvents;
        if (!complete) {
            System.out.printf("FAILED: expected %,d records on each topic%n", drainedEvents);
        }
        sampleEvents = new ArrayList<>(events.subList(Math.max(0, events.size() - 10_000), events.size()));
        sampleStates = new ArrayList<>(states.subList(Math.max(0, states.size() - 10_000), states.size()));

        int partitions = partitions(settings.eventsTopic());
        String rawEvents = settings.eventsTopic() + ".raw-" + runId;
        String rawStates = settings.stateTopic() + ".raw-" + runId;
        createTopics(List.of(new NewTopic(rawEvents, partitions, settings.replicationFactor()),
                new NewTopic(rawStates, partitions(settings.stateTopic()), settings.replicationFactor())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long records = events.size() + (long) states.size();
        double seconds;
        String cpuUse;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig("kafka-benchmark-raw"))) {
            // Untimed warm-up: the first records (at most 100,000 pairs) to two scratch topics, so the JIT has
            // compiled this send path; then a full GC, so the records held in memory are not collected during it.
            String warmEvents = settings.eventsTopic() + ".warm-up-" + runId;
            String warmStates = settings.stateTopic() + ".warm-up-" + runId;
            createTopics(List.of(new NewTopic(warmEvents, partitions, settings.replicationFactor()),
                    new NewTopic(warmStates, partitions, settings.replicationFactor())));
            int warm = Math.min(100_000, Math.min(events.size(), states.size()));
            long warmStart = System.nanoTime();
            for (int i = 0; i < warm; i++) {
                send(producer, warmEvents, events.get(i), failed, firstFailure);
                send(producer, warmStates, states.get(i), failed, firstFailure);
            }
            producer.flush();
            System.out.printf("warm-up (untimed): %,d records in %.1f s to scratch topics%n", 2 * warm,
                    (System.nanoTime() - warmStart) / 1e9);
            // connections and metadata outside the timing, as the publisher's producer has them after its first batch
            producer.partitionsFor(rawEvents);
            producer.partitionsFor(rawStates);
            System.gc();
            CpuSample cpu = CpuSample.now();
            long start = System.nanoTime();
            int n = Math.max(events.size(), states.size());
            for (int i = 0; i < n; i++) {
                if (i < events.size()) {
                    send(producer, rawEvents, events.get(i), failed, firstFailure);
                }
                if (i < states.size()) {
                    send(producer, rawStates, states.get(i), failed, firstFailure);
                }
            }
            producer.flush();
            seconds = (System.nanoTime() - start) / 1e9;
            cpuUse = cpu.since();
        }
        boolean ok = complete && failed.get() == 0 && endOffsets(rawEvents) == events.size()
                && endOffsets(rawStates) == states.size();
        double recordsPerSecond = records / seconds;
        double publisherRecordsPerSecond = records / drainSeconds;
        System.out.printf("raw producer: %,d records in %.1f s = %,.0f records/s = %,.0f events/s equivalent (2"
                        + " records an event); %d failed sends%s; %s%n", records, seconds, recordsPerSecond,
                recordsPerSecond / 2, failed.get(), firstFailure.get() == null ? "" : " (" + firstFailure.get() + ")",
                cpuUse);
        System.out.printf("publisher / raw producer: %.2f (%,.0f vs %,.0f records/s)%n",
                publisherRecordsPerSecond / recordsPerSecond, publisherRecordsPerSecond, recordsPerSecond);
        if (!ok) {
            System.out.println("FAILED: the raw topics do not hold every record sent");
        }
        rawRecordsPerSecond = recordsPerSecond;
        table.add(String.format("| backlog drain: %,d events, cold state cache (%,d twins folded), publisher alone |"
                        + " %,.0f events/s = %,.0f records/s (%.1f s) | plain producer, 1 thread, same records:"
                        + " %,.0f records/s = %,.0f events/s (%.1f s) | %.2f | >= 5,000 events/s |", drainedEvents,
                twinsFolded, drainedEvents / drainSeconds, publisherRecordsPerSecond, drainSeconds, recordsPerSecond,
                recordsPerSecond / 2, seconds, publisherRecordsPerSecond / recordsPerSecond));
        return ok;
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, Stored record, AtomicLong failed,
                             AtomicReference<Exception> firstFailure) {
        producer.send(new ProducerRecord<>(topic, null, record.key(), record.value(), Arrays.asList(record.headers())),
                (metadata, exception) -> {
                    if (exception != null) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, exception);
                    }
                });
    }

    /** Every record of {@code topic} from its beginning to its end offsets as of now, in memory. */
    private List<Stored> readAll(String topic) {
        List<Stored> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = topicPartitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within 10 minutes");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    records.add(new Stored(record.key(), record.value(), record.headers().toArray()));
                }
            }
        }
        return records;
    }

    // ---------------------------------------------------------------------------------- phase 3: latency

    private boolean latency() throws Exception {
        System.out.println();
        System.out.printf("== phase 3: end-to-end latency at the core load (%d threads, %d s) ==%n", THREADS, SECONDS);
        twins = new String[TWINS];
        for (int i = 0; i < TWINS; i++) {
            twins[i] = "kb-" + runId + "-" + i;
        }
        List<String> started = new ArrayList<>();
        processors().forEach((name, processor) -> {
            if (!processor.isRunning()) {
                processor.start();
                started.add(name);
            }
        });
        System.out.printf("started the streaming processors again: %s%n", String.join(", ", started));
        long setup = System.nanoTime();
        BenchSupport.parallel(THREADS, TWINS, i -> commands.sendAndWait(GenericCommandMessage.asCommandMessage(
                new PutTwin(twins[i], tags(i), null, null, false)).andMetaData(BenchSupport.audit(Channel.API).toMap())));
        System.out.printf("setup: %,d twins created through the command gateway in %.1f s%n", TWINS,
                (System.nanoTime() - setup) / 1e9);
        awaitCaughtUp(Duration.ofMinutes(2));

        // The consumer: every partition, at the end, before the first command.
        CorrelationWatch watch = new CorrelationWatch();
        ConcurrentHashMap<String, Long> consumed = watch.consumed;
        AtomicLong unknown = watch.unknown;
        AtomicReference<Throwable> consumerFailure = watch.failure;

        // The publisher's lag, every 100 ms, from the load's start until every record is consumed.
        LagSampler lag = new LagSampler();

        // The load: WriteBenchmark's command path, each command with its own correlation id.
        record Sent(String[] correlation, long[] sent, long[] accepted, int count, long failures, Throwable failure) {
        }
        AtomicLong sequence = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<Sent>> futures = new ArrayList<>();
        String loadBefore = loadAverage();
        CpuSample cpu = CpuSample.now();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(SECONDS);
        for (int t = 0; t < THREADS; t++) {
            futures.add(pool.submit(() -> {
                String[] correlation = new String[1 << 13];
                long[] sent = new long[correlation.length];
                long[] accepted = new long[correlation.length];
                int n = 0;
                long failures = 0;
                Throwable failure = null;
                while (System.nanoTime() < end) {
                    String twin = twins[ThreadLocalRandom.current().nextInt(TWINS)];
                    String id = UUID.randomUUID().toString();
                    AuditMetadata audit = new AuditMetadata("bench", Channel.DEVICE, "in-process", id, null);
                    long before = System.nanoTime();
                    try {
                        commands.sendAndWait(GenericCommandMessage.asCommandMessage(new PatchReportedProperties(twin,
                                reported(sequence.incrementAndGet()), null)).andMetaData(audit.toMap()));
                    } catch (RuntimeException e) {
                        failures++;
                        failure = failure == null ? e : failure;
                        continue;
                    }
                    long after = System.nanoTime();
                    if (n == correlation.length) {
                        correlation = Arrays.copyOf(correlation, n * 2);
                        sent = Arrays.copyOf(sent, n * 2);
                        accepted = Arrays.copyOf(accepted, n * 2);
                    }
                    correlation[n] = id;
                    sent[n] = before;
                    accepted[n++] = after;
                }
                return new Sent(correlation, sent, accepted, n, failures, failure);
            }));
        }
        List<Sent> all = new ArrayList<>();
        for (Future<Sent> f : futures) {
            all.add(f.get());
        }
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        String cpuUse = cpu.since();
        String loadAfter = loadAverage();
        pool.shutdown();
        int commandsAccepted = all.stream().mapToInt(Sent::count).sum();
        long commandFailures = all.stream().mapToLong(Sent::failures).sum();

        // Wait for every accepted command's record.
        long drainStart = System.nanoTime();
        long deadline = drainStart + TimeUnit.MINUTES.toNanos(2);
        while (consumed.size() < commandsAccepted && System.nanoTime() < deadline && consumerFailure.get() == null) {
            Thread.sleep(10);
        }
        double drainAfterLoad = (System.nanoTime() - drainStart) / 1e9;
        lag.close();
        watch.close();
        AtomicLong maxLag = lag.max;
        AtomicReference<String> lastError = lag.lastError;

        long[] fromAccepted = new long[commandsAccepted];
        long[] fromSent = new long[commandsAccepted];
        long[] commandLatency = new long[commandsAccepted];
        int matched = 0;
        List<String> missing = new ArrayList<>();
        for (Sent part : all) {
            for (int i = 0; i < part.count(); i++) {
                commandLatency[matched + missing.size()] = part.accepted()[i] - part.sent()[i];
                Long at = consumed.get(part.correlation()[i]);
                if (at == null) {
                    missing.add(part.correlation()[i]);
                    continue;
                }
                fromAccepted[matched] = at - part.accepted()[i];
                fromSent[matched] = at - part.sent()[i];
                matched++;
            }
        }
        fromAccepted = Arrays.copyOf(fromAccepted, matched);
        fromSent = Arrays.copyOf(fromSent, matched);
        Arrays.sort(fromAccepted);
        Arrays.sort(fromSent);
        Arrays.sort(commandLatency);
        long negative = Arrays.stream(fromAccepted).filter(v -> v < 0).count();
        double eventsPerSecond = commandsAccepted / loadSeconds;
        boolean ok = matched == commandsAccepted && commandFailures == 0 && consumerFailure.get() == null
                && unknown.get() == 0;

        System.out.printf("load: %,d commands accepted (= events) in %.1f s = %,.0f events/s; %d failed%s;"
                        + " command latency (sent -> accepted) p50 %.1f ms, p99 %.1f ms; %s; load average %s before,"
                        + " %s after%n", commandsAccepted, loadSeconds, eventsPerSecond, commandFailures,
                commandFailures == 0 ? "" : " (first: " + all.stream().map(Sent::failure).filter(e -> e != null)
                        .findFirst().map(String::valueOf).orElse("") + ")",
                BenchSupport.at(commandLatency, 0.5) / 1e6, BenchSupport.at(commandLatency, 0.99) / 1e6, cpuUse,
                loadBefore, loadAfter);
        System.out.printf("matched: %,d of %,d accepted commands' records consumed (%s)%s; %d records unknown or"
                        + " consumed twice; last record consumed %.2f s after the load ended%n", matched,
                commandsAccepted, matched == commandsAccepted ? "all" : "FAILED: " + missing.size() + " missing, e.g. "
                        + missing.subList(0, Math.min(3, missing.size())),
                consumerFailure.get() == null ? "" : "; consumer FAILED: " + consumerFailure.get(), unknown.get(),
                drainAfterLoad);
        System.out.printf("latency accepted -> consumed: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (min %.1f"
                        + " ms; %,d records consumed before sendAndWait returned)%n", ms(fromAccepted, 0.5),
                ms(fromAccepted, 0.95), ms(fromAccepted, 0.99), max(fromAccepted), min(fromAccepted), negative);
        System.out.printf("latency sent -> consumed:     p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                ms(fromSent, 0.5), ms(fromSent, 0.95), ms(fromSent, 0.99), max(fromSent));
        System.out.printf("publisher lag (events, sampled every 100 ms): max %,d%s%n", maxLag.get(),
                lastError.get() == null ? "" : "; error seen: " + lastError.get());

        RawLatency raw = rawLatency(eventsPerSecond);
        table.add(String.format("| core load (%d threads, %d s): events/s, publisher's max lag | %,.0f events/s, max lag"
                        + " %,d events | plain producer above: %,.0f events/s | - | keeps up (lag bounded) |",
                THREADS, SECONDS, eventsPerSecond, maxLag.get(), rawRecordsPerSecond / 2));
        table.add(String.format("| latency command accepted -> record consumed (%,d of %,d matched) | p50 %.1f /"
                        + " p95 %.1f / p99 %.1f / max %.1f ms | plain producer send -> consumed at the same rate:"
                        + " p50 %.1f / p95 %.1f / p99 %.1f / max %.1f ms | p99 %.1fx | p99 < 500 ms |", matched,
                commandsAccepted, ms(fromAccepted, 0.5), ms(fromAccepted, 0.95), ms(fromAccepted, 0.99),
                max(fromAccepted), ms(raw.sorted, 0.5), ms(raw.sorted, 0.95), ms(raw.sorted, 0.99), max(raw.sorted),
                ms(fromAccepted, 0.99) / Math.max(1e-9, ms(raw.sorted, 0.99))));
        table.add(String.format("| latency command sent -> record consumed (context) | p50 %.1f / p95 %.1f / p99 %.1f"
                        + " / max %.1f ms | command alone (sent -> accepted): p50 %.1f / p99 %.1f ms | - | - |",
                ms(fromSent, 0.5), ms(fromSent, 0.95), ms(fromSent, 0.99), max(fromSent),
                BenchSupport.at(commandLatency, 0.5) / 1e6, BenchSupport.at(commandLatency, 0.99) / 1e6));
        notes.add("drain: the publisher's token was placed after the last twin's creation, its state cache empty, so"
                + " every twin's first event was folded from the event store (as after a restart); the other"
                + " streaming processors' tokens were at the head and they were stopped (publisher alone); " + (PRECREATE
                ? "topics created beforehand, as they exist after a restart" : "topics created by the publisher"));
        notes.add("raw producer: the same records (keys, bytes, headers) read back from both topics, sent by one"
                + " thread with acks=all, idempotence, lz4, linger.ms=5 to new topics with the same partitions;"
                + " flush at the end");
        notes.add(String.format("latency: %,d records consumed before sendAndWait returned (the command waits for its"
                + " projection; the publisher can be faster); percentiles include them as negative values", negative));
        return ok && raw.ok;
    }

    // ----------------------------------------------------------------------------- phase 4: fixed-rate sweep

    /** One rate of the sweep: what the table and the stop rule need. */
    private record RateResult(int rate, int due, int accepted, int matched, double achieved, long maxLag,
                              long lagAtEnd, double acceptedP99, double intendedP99, String row, boolean ok) {
        boolean offered() {
            return achieved >= 0.9 * rate;
        }

        boolean keptUp() {
            return lagAtEnd <= 10L * rate;
        }
    }

    private boolean sweep() throws Exception {
        System.out.println();
        System.out.printf("== phase 4: fixed-rate sweep, open loop (rates %s events/s, %d s each, up to %d threads)"
                + " ==%n", RATES, RATE_SECONDS, RATE_THREADS);
        boolean ok = true;
        List<RateResult> results = new ArrayList<>();
        String stopped = null;
        try (CorrelationWatch watch = new CorrelationWatch()) {
            for (int r = 0; r < RATES.size(); r++) {
                int rate = RATES.get(r);
                awaitCaughtUp(Duration.ofMinutes(5));
                // the other processors too: one still working off the rate before would take CPU from this one
                awaitProcessorsAtHead(Duration.ofMinutes(5));
                Thread.sleep(5_000);
                RateResult result = fixedRate(rate, watch);
                results.add(result);
                ok &= result.ok();
                if (!result.offered() || !result.keptUp()) {
                    List<Integer> rest = RATES.subList(r + 1, RATES.size());
                    stopped = String.format("sweep stopped after %,d events/s: %s%s", rate, !result.offered()
                                    ? String.format("the rate could not be offered (achieved %,.0f events/s < 90%%)",
                                    result.achieved())
                                    : String.format("the publisher fell behind (lag %,d events when the load ended"
                                    + " > 10 x %,d)", result.lagAtEnd(), rate),
                            rest.isEmpty() ? " (it was the last rate)" : "; not run: " + rest
                                    + " events/s, higher rates would only queue");
                    System.out.println(stopped);
                    break;
                }
            }
            if (watch.failure.get() != null) {
                System.out.printf("FAILED: the sweep's consumer failed: %s%n", watch.failure.get());
                ok = false;
            }
        }
        results.forEach(result -> table.add(result.row()));
        List<Integer> metAccepted = new ArrayList<>();
        List<Integer> metIntended = new ArrayList<>();
        for (RateResult result : results) {
            if (result.offered() && result.keptUp() && result.matched() == result.accepted()) {
                if (result.acceptedP99() < TARGET_P99_MS) {
                    metAccepted.add(result.rate());
                }
                if (result.intendedP99() < TARGET_P99_MS) {
                    metIntended.add(result.rate());
                }
            }
        }
        String summary = String.format("fixed-rate sweep: rates offered and kept up with p99 < %.0f ms: accepted ->"
                        + " consumed %s (highest %s), intended -> consumed %s (highest %s); rates tried: %s events/s%s",
                TARGET_P99_MS, metAccepted.isEmpty() ? "none" : metAccepted, metAccepted.isEmpty() ? "none"
                        : String.format("%,d events/s", Collections.max(metAccepted)),
                metIntended.isEmpty() ? "none" : metIntended, metIntended.isEmpty() ? "none"
                        : String.format("%,d events/s", Collections.max(metIntended)),
                results.stream().map(result -> String.valueOf(result.rate())).collect(
                        java.util.stream.Collectors.joining(", ")), stopped == null ? "; every rate ran" : "; " + stopped);
        System.out.println(summary);
        notes.add("fixed-rate sweep: open loop, command i due at start + i / rate, sent by the first free of up to "
                + RATE_THREADS + " threads; 'intended' latencies start at the due time (they include any wait for a"
                + " free thread), 'accepted' ones when sendAndWait returned; every streaming processor running, as in"
                + " the core load; before each rate the publisher's lag reached 0 and every streaming processor"
                + " reached the head, then 5 s pause; raw floor at the same rate with the platform idle");
        notes.add(summary);
        return ok;
    }

    /**
     * {@code rate} commands a second for {@value #RATE_SECONDS} s, open loop: command {@code i} is due at
     * {@code start + i / rate}; the first free of {@value #RATE_THREADS} threads waits for that time and sends it. A
     * command still not started half a window after the window's end is given up (counted, not sent).
     */
    private RateResult fixedRate(int rate, CorrelationWatch watch) throws Exception {
        int due = Math.max(1, rate * RATE_SECONDS);
        String[] correlation = new String[due];
        long[] intended = new long[due];
        long[] sent = new long[due];
        long[] accepted = new long[due];
        AtomicInteger next = new AtomicInteger();
        AtomicLong sequence = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        AtomicLong givenUp = new AtomicLong();
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        long unknownBefore = watch.unknown.get();
        double interval = 1e9 / rate;
        int threads = Math.max(1, RATE_THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        // the threads exist before the first command is due
        List<Future<?>> warm = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            warm.add(pool.submit(() -> null));
        }
        for (Future<?> f : warm) {
            f.get();
        }
        System.out.printf("%,d events/s: %,d commands due over %d s, one every %.2f ms, up to %d threads%n", rate, due,
                RATE_SECONDS, interval / 1e6, threads);
        String loadBefore = loadAverage();
        LagSampler lag = new LagSampler();
        CpuSample cpu = CpuSample.now();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long windowEnd = start + TimeUnit.SECONDS.toNanos(RATE_SECONDS);
        long giveUpAt = windowEnd + TimeUnit.SECONDS.toNanos(RATE_SECONDS) / 2;
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < due) {
                    long at = start + Math.round(i * interval);
                    String id = UUID.randomUUID().toString();
                    String twin = twins[ThreadLocalRandom.current().nextInt(twins.length)];
                    AuditMetadata audit = new AuditMetadata("bench", Channel.DEVICE, "in-process", id, null);
                    var command = GenericCommandMessage.asCommandMessage(new PatchReportedProperties(twin,
                            reported(sequence.incrementAndGet()), null)).andMetaData(audit.toMap());
                    long wait;
                    while ((wait = at - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    long before = System.nanoTime();
                    if (before > giveUpAt) {
                        givenUp.incrementAndGet();
                        continue;
                    }
                    correlation[i] = id;
                    intended[i] = at;
                    sent[i] = before;
                    try {
                        commands.sendAndWait(command);
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                        firstFailure.compareAndSet(null, e);
                        continue;
                    }
                    accepted[i] = System.nanoTime();
                }
                return null;
            }));
        }
        for (Future<?> f : workers) {
            f.get();
        }
        long loadEnd = System.nanoTime();
        long lagAtEnd = ((Number) stream.describe().get("lag")).longValue();
        CpuSample cpuEnd = CpuSample.now();
        pool.shutdown();
        String loadAfter = loadAverage();

        List<String> ids = new ArrayList<>(due);
        long lastSent = start;
        for (int i = 0; i < due; i++) {
            if (accepted[i] != 0) {
                ids.add(correlation[i]);
                lastSent = Math.max(lastSent, sent[i]);
            }
        }
        int acceptedCount = ids.size();
        // the window, or longer when the sends ran late: the offered rate falls below the target then
        double seconds = (Math.max(windowEnd, lastSent + (long) interval) - start) / 1e9;
        double achieved = acceptedCount / seconds;
        long drainStart = System.nanoTime();
        boolean all = watch.await(ids, drainStart + TimeUnit.MINUTES.toNanos(3));
        double drainAfterLoad = (System.nanoTime() - drainStart) / 1e9;
        lag.close();

        long[] fromAccepted = new long[acceptedCount];
        long[] fromIntended = new long[acceptedCount];
        long[] fromSent = new long[acceptedCount];
        long[] command = new long[acceptedCount];
        long[] commandIntended = new long[acceptedCount];
        long[] late = new long[acceptedCount];
        int matched = 0;
        int n = 0;
        List<String> missing = new ArrayList<>();
        // when the slow ones were due: one stall or spread over the window
        long slowThreshold = (long) (TARGET_P99_MS * 1e6);
        int slow = 0;
        long firstSlow = Long.MAX_VALUE;
        long lastSlow = Long.MIN_VALUE;
        int[] slowBySecond = new int[RATE_SECONDS * 2 + 1];
        for (int i = 0; i < due; i++) {
            if (accepted[i] == 0) {
                continue;
            }
            command[n] = accepted[i] - sent[i];
            commandIntended[n] = accepted[i] - intended[i];
            late[n++] = sent[i] - intended[i];
            Long at = watch.consumed.get(correlation[i]);
            if (at == null) {
                missing.add(correlation[i]);
                continue;
            }
            fromAccepted[matched] = at - accepted[i];
            fromIntended[matched] = at - intended[i];
            fromSent[matched] = at - sent[i];
            if (fromAccepted[matched] >= slowThreshold) {
                slow++;
                firstSlow = Math.min(firstSlow, intended[i] - start);
                lastSlow = Math.max(lastSlow, intended[i] - start);
                slowBySecond[(int) Math.min(slowBySecond.length - 1, (intended[i] - start) / 1_000_000_000L)]++;
            }
            matched++;
        }
        fromAccepted = Arrays.copyOf(fromAccepted, matched);
        fromIntended = Arrays.copyOf(fromIntended, matched);
        fromSent = Arrays.copyOf(fromSent, matched);
        for (long[] values : List.of(fromAccepted, fromIntended, fromSent, command, commandIntended, late)) {
            Arrays.sort(values);
        }
        long unknown = watch.unknown.get() - unknownBefore;
        Map<String, Double> cores = cpu.coresByGroup(cpuEnd);
        double publisherCores = cores.getOrDefault("publisher", 0.0)
                + cores.getOrDefault("publisher's producer I/O", 0.0);
        String machineBusy = cpu.total < 0 || cpuEnd.total == cpu.total ? "n/a"
                : String.format("%.0f%%", 100.0 * (cpuEnd.busy - cpu.busy) / (cpuEnd.total - cpu.total));
        boolean ok = all && matched == acceptedCount && failures.get() == 0 && unknown == 0
                && watch.failure.get() == null;

        System.out.printf("  load: %,d of %,d due commands accepted in %.1f s = %,.0f events/s achieved (%.0f%% of"
                        + " %,d); %d failed%s; %d given up (no thread free until half a window after the end);"
                        + " send delay behind the due time p50 %.2f ms, p99 %.1f ms, max %.1f ms%n", acceptedCount, due,
                seconds, achieved, 100.0 * achieved / rate, rate, failures.get(), firstFailure.get() == null ? ""
                        : " (first: " + firstFailure.get() + ")", givenUp.get(), ms(late, 0.5), ms(late, 0.99),
                max(late));
        System.out.printf("  command latency sent -> accepted p50 %.1f ms, p99 %.1f ms; intended -> accepted p50 %.1f"
                        + " ms, p99 %.1f ms%n", ms(command, 0.5), ms(command, 0.99), ms(commandIntended, 0.5),
                ms(commandIntended, 0.99));
        System.out.printf("  matched: %,d of %,d accepted commands' records consumed (%s); %d records unknown or"
                        + " consumed twice; last record consumed %.2f s after the load ended%n", matched,
                acceptedCount, matched == acceptedCount ? "all" : "FAILED: " + missing.size() + " missing, e.g. "
                        + missing.subList(0, Math.min(3, missing.size())), unknown, drainAfterLoad);
        System.out.printf("  latency accepted -> consumed: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                ms(fromAccepted, 0.5), ms(fromAccepted, 0.95), ms(fromAccepted, 0.99), max(fromAccepted));
        System.out.printf("  latency intended -> consumed: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                ms(fromIntended, 0.5), ms(fromIntended, 0.95), ms(fromIntended, 0.99), max(fromIntended));
        System.out.printf("  latency sent -> consumed:     p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                ms(fromSent, 0.5), ms(fromSent, 0.95), ms(fromSent, 0.99), max(fromSent));
        StringBuilder slowSeconds = new StringBuilder();
        for (int second = 0; second < slowBySecond.length; second++) {
            if (slowBySecond[second] > 0) {
                slowSeconds.append(slowSeconds.isEmpty() ? "" : ", ").append(second).append(": ")
                        .append(slowBySecond[second]);
            }
        }
        System.out.printf("  records consumed >= %.0f ms after acceptance: %,d%s%n", TARGET_P99_MS, slow, slow == 0 ? ""
                : String.format(", due between %.1f s and %.1f s into the window (by second due: %s)", firstSlow / 1e9,
                lastSlow / 1e9, slowSeconds));
        System.out.printf("  publisher lag (events, every 100 ms): max %,d, %,d when the load ended%s%n", lag.max.get(),
                lagAtEnd, lag.lastError.get() == null ? "" : "; error seen: " + lag.lastError.get());
        System.out.printf("  CPU during the load (%.1f s): publisher %.2f cores (processor threads and producer I/O);"
                        + " %s; load average %s before, %s after%n", (loadEnd - start) / 1e9, publisherCores,
                cpu.since(cpuEnd), loadBefore, loadAfter);

        awaitCaughtUp(Duration.ofMinutes(5));
        RawLatency raw = rawLatency(rate);
        String row = String.format("| latency at %,d events/s (fixed rate, %d s): accepted -> consumed; intended ->"
                        + " consumed (%,d of %,d matched; achieved %,.0f events/s; publisher max lag %,d, %,d at the"
                        + " end; machine CPU busy %s; publisher %.2f cores) | p50 %.1f / p95 %.1f / p99 %.1f / max %.1f"
                        + " ms; intended: p50 %.1f / p95 %.1f / p99 %.1f / max %.1f ms | plain producer send ->"
                        + " consumed at %,d/s: p50 %.1f / p95 %.1f / p99 %.1f / max %.1f ms | p99 %.1fx (intended"
                        + " %.1fx) | p99 < 500 ms |", rate, RATE_SECONDS, matched, acceptedCount, achieved,
                lag.max.get(), lagAtEnd, machineBusy, publisherCores, ms(fromAccepted, 0.5), ms(fromAccepted, 0.95),
                ms(fromAccepted, 0.99), max(fromAccepted), ms(fromIntended, 0.5), ms(fromIntended, 0.95),
                ms(fromIntended, 0.99), max(fromIntended), rate, ms(raw.sorted, 0.5), ms(raw.sorted, 0.95),
                ms(raw.sorted, 0.99), max(raw.sorted), ms(fromAccepted, 0.99) / Math.max(1e-9, ms(raw.sorted, 0.99)),
                ms(fromIntended, 0.99) / Math.max(1e-9, ms(raw.sorted, 0.99)));
        return new RateResult(rate, due, acceptedCount, matched, achieved, lag.max.get(), lagAtEnd,
                ms(fromAccepted, 0.99), ms(fromIntended, 0.99), row, ok && raw.ok);
    }

    /**
     * A consumer on every partition of the events topic, positioned at the end when made: each record's
     * {@code data.metadata.correlationId} and when its poll returned.
     */
    private final class CorrelationWatch implements AutoCloseable {
        final ConcurrentHashMap<String, Long> consumed = new ConcurrentHashMap<>();
        /** Records without a correlation id, or whose id was consumed already. */
        final AtomicLong unknown = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicBoolean consuming = new AtomicBoolean(true);
        private final Thread thread;

        CorrelationWatch() {
            KafkaConsumer<String, byte[]> consumer = consumer();
            List<TopicPartition> partitions = topicPartitions(consumer, settings.eventsTopic());
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            thread = new Thread(() -> {
                try (consumer) {
                    while (consuming.get()) {
                        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                        long at = System.nanoTime();
                        for (ConsumerRecord<String, byte[]> record : records) {
                            String correlation = json.readTree(record.value()).path("data").path("metadata")
                                    .path(AuditMetadata.CORRELATION_ID).asText(null);
                            if (correlation == null || consumed.putIfAbsent(correlation, at) != null) {
                                unknown.incrementAndGet();
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "kafka-benchmark-consumer");
            thread.start();
        }

        /** Waits until every one of {@code ids} is consumed; false at {@code deadline} or when the consumer failed. */
        boolean await(List<String> ids, long deadline) throws InterruptedException {
            int from = 0;
            while (from < ids.size()) {
                if (consumed.containsKey(ids.get(from))) {
                    from++;
                    continue;
                }
                if (System.nanoTime() > deadline || failure.get() != null) {
                    return false;
                }
                Thread.sleep(10);
            }
            return true;
        }

        @Override
        public void close() throws InterruptedException {
            consuming.set(false);
            thread.join(10_000);
        }
    }

    /** The publisher's lag and its first error, sampled every 100 ms from its making until it is closed. */
    private final class LagSampler implements AutoCloseable {
        final AtomicLong max = new AtomicLong();
        final AtomicReference<String> lastError = new AtomicReference<>();
        private final AtomicBoolean sampling = new AtomicBoolean(true);
        private final Thread thread;

        LagSampler() {
            thread = new Thread(() -> {
                while (sampling.get()) {
                    try {
                        Map<String, Object> view = stream.describe();
                        max.accumulateAndGet(((Number) view.get("lag")).longValue(), Math::max);
                        if (view.containsKey("lastError")) {
                            lastError.compareAndSet(null, String.valueOf(view.get("lastError")));
                        }
                    } catch (RuntimeException e) {
                        lastError.compareAndSet(null, "lag sampling failed: " + e);
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
            }, "kafka-benchmark-lag-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            sampling.set(false);
            thread.join(10_000);
        }
    }

    private record RawLatency(long[] sorted, boolean ok) {
    }

    /**
     * The floor under the end-to-end latency: a plain producer (the publisher's settings) sends an event record and a
     * state record (bytes of the last ones the publisher wrote) at {@code eventsPerSecond} for {@value #RAW_SECONDS}
     * s, one thread; a consumer on the events topic times each from just before {@code send} to its poll.
     */
    private RawLatency rawLatency(double eventsPerSecond) throws Exception {
        List<Stored> events = sampleEvents;
        List<Stored> states = sampleStates;
        String rawEvents = settings.eventsTopic() + ".latency-" + runId;
        String rawStates = settings.stateTopic() + ".latency-" + runId;
        createTopics(List.of(new NewTopic(rawEvents, settings.partitions(), settings.replicationFactor()),
                new NewTopic(rawStates, settings.partitions(), settings.replicationFactor())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
        int total = (int) Math.max(1, Math.round(eventsPerSecond * RAW_SECONDS));
        long[] sentAt = new long[total];
        long[] consumedAt = new long[total];
        AtomicLong seen = new AtomicLong();
        AtomicBoolean consuming = new AtomicBoolean(true);
        KafkaConsumer<String, byte[]> consumer = consumer();
        List<TopicPartition> partitions = topicPartitions(consumer, rawEvents);
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        Thread consumerThread = new Thread(() -> {
            try (consumer) {
                while (consuming.get()) {
                    ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                    long at = System.nanoTime();
                    for (ConsumerRecord<String, byte[]> record : records) {
                        int i = ByteBuffer.wrap(record.headers().lastHeader("bench-seq").value()).getInt();
                        consumedAt[i] = at;
                        seen.incrementAndGet();
                    }
                }
            }
        }, "kafka-benchmark-raw-consumer");
        consumerThread.start();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long interval = (long) (1e9 / Math.max(1, eventsPerSecond));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig("kafka-benchmark-latency"))) {
            producer.partitionsFor(rawEvents);
            producer.partitionsFor(rawStates);
            long start = System.nanoTime();
            for (int i = 0; i < total; i++) {
                long due = start + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                Stored event = events.get(i % events.size());
                Stored state = states.get(i % states.size());
                List<Header> headers = new ArrayList<>(Arrays.asList(event.headers()));
                headers.add(new RecordHeader("bench-seq", ByteBuffer.allocate(4).putInt(i).array()));
                sentAt[i] = System.nanoTime();
                producer.send(new ProducerRecord<>(rawEvents, null, event.key(), event.value(), headers),
                        (metadata, e) -> {
                            if (e != null) {
                                failed.incrementAndGet();
                                firstFailure.compareAndSet(null, e);
                            }
                        });
                send(producer, rawStates, state, failed, firstFailure);
            }
            producer.flush();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (seen.get() < total && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        consuming.set(false);
        consumerThread.join(10_000);
        long[] latencies = new long[total];
        int n = 0;
        for (int i = 0; i < total; i++) {
            if (consumedAt[i] != 0) {
                latencies[n++] = consumedAt[i] - sentAt[i];
            }
        }
        latencies = Arrays.copyOf(latencies, n);
        Arrays.sort(latencies);
        boolean ok = n == total && failed.get() == 0;
        System.out.printf("raw floor: plain producer, %,d event + state record pairs at %,.0f/s for %d s, one thread:"
                        + " send -> consumed p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms; %,d of %,d consumed%s%s%n",
                total, eventsPerSecond, RAW_SECONDS, ms(latencies, 0.5), ms(latencies, 0.95), ms(latencies, 0.99),
                max(latencies), n, total, n == total ? "" : " (FAILED)",
                failed.get() == 0 ? "" : "; " + failed.get() + " failed sends (" + firstFailure.get() + ")");
        return new RawLatency(latencies, ok);
    }

    private void awaitCaughtUp(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> view = stream.describe();
        while (System.nanoTime() < deadline) {
            view = stream.describe();
            if ("running".equals(view.get("state")) && ((Number) view.get("lag")).longValue() == 0) {
                System.out.printf("publisher caught up: %s%n", view);
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the publisher did not catch up within " + timeout + ": " + view);
    }

    /** Waits until every running streaming processor's lowest segment has reached the head; says how long. */
    private void awaitProcessorsAtHead(Duration timeout) throws InterruptedException {
        EventStorageEngine storage = app.getBean(EventStorageEngine.class);
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        Map<String, Long> behind = new LinkedHashMap<>();
        while (true) {
            TrackingToken headToken = storage.createHeadToken();
            long head = headToken == null ? 0 : headToken.position().orElse(0);
            behind.clear();
            processors().forEach((name, processor) -> {
                if (!processor.isRunning()) {
                    return;
                }
                long lowest = processor.processingStatus().values().stream()
                        .mapToLong(status -> status.getCurrentPosition().orElse(-1)).min().orElse(-1);
                if (lowest < head) {
                    behind.put(name, head - Math.max(0, lowest));
                }
            });
            if (behind.isEmpty()) {
                System.out.printf("every running streaming processor at the head (%,d) after %.1f s%n", head,
                        (System.nanoTime() - start) / 1e9);
                return;
            }
            if (System.nanoTime() > deadline) {
                System.out.printf("warning: streaming processors still behind the head (%,d) after %s: %s%n", head,
                        timeout, behind);
                return;
            }
            Thread.sleep(100);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static StreamingEventProcessor processor(ConfigurableApplicationContext app, String name) {
        return app.getBean(EventProcessingConfiguration.class).eventProcessor(name, StreamingEventProcessor.class)
                .orElseThrow(() -> new IllegalStateException("no streaming processor " + name));
    }

    private Map<String, StreamingEventProcessor> processors() {
        Map<String, StreamingEventProcessor> processors = new LinkedHashMap<>();
        app.getBean(EventProcessingConfiguration.class).eventProcessors().forEach((name, processor) -> {
            if (processor instanceof StreamingEventProcessor streaming) {
                processors.put(name, streaming);
            }
        });
        if (!processors.containsKey(PROCESSOR)) {
            throw new IllegalStateException("no " + PROCESSOR + " processor; is twin.kafka.bootstrap-servers set?");
        }
        return processors;
    }

    /** The publisher's own producer configuration (KafkaSettings.producerConfig), under another client id. */
    private Map<String, Object> producerConfig(String clientId) {
        Map<String, Object> config = settings.producerConfig();
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return config;
    }

    private KafkaConsumer<String, byte[]> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000));
    }

    private static List<TopicPartition> topicPartitions(KafkaConsumer<?, ?> consumer, String topic) {
        return consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(topic, info.partition()))
                .sorted(Comparator.comparingInt(TopicPartition::partition)).toList();
    }

    private int partitions(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            return topicPartitions(consumer, topic).size();
        }
    }

    /** The sum of the topic's end offsets: its record count (nothing is deleted or compacted away from offsets). */
    private long endOffsets(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            return consumer.endOffsets(topicPartitions(consumer, topic)).values().stream()
                    .mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Creates the topics (an existing one is fine) and waits until every partition answers a ListOffsets on its
     * leader: right after a creation the broker may still answer NOT_LEADER_OR_FOLLOWER, and an idempotent producer
     * that meets that on its first batch can end up retrying OUT_OF_ORDER_SEQUENCE_NUMBER until its delivery
     * timeout (seen with the in-JVM broker).
     */
    private void createTopics(List<NewTopic> topics) throws Exception {
        try (Admin admin = Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers()))) {
            for (var created : admin.createTopics(topics).values().entrySet()) {
                try {
                    created.getValue().get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            for (NewTopic topic : topics) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                List<TopicPartition> partitions = topicPartitions(consumer, topic.name());
                while (partitions.size() < topic.numPartitions()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("topic " + topic.name() + " has " + partitions.size()
                                + " partitions after 30 s, not " + topic.numPartitions());
                    }
                    Thread.sleep(50);
                    partitions = topicPartitions(consumer, topic.name());
                }
                consumer.endOffsets(partitions, Duration.ofSeconds(30));
            }
        }
    }

    private long count(String sql, Object... args) {
        Long value = jdbc.queryForObject(sql, Long.class, args);
        return value == null ? 0 : value;
    }

    private static double ms(long[] sorted, double p) {
        return BenchSupport.at(sorted, p) / 1e6;
    }

    private static double max(long[] sorted) {
        return sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6;
    }

    private static double min(long[] sorted) {
        return sorted.length == 0 ? 0 : sorted[0] / 1e6;
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    /**
     * CPU use between two instants: machine-wide (from /proc/stat: every process, the platform's PostgreSQL and
     * anything else on the machine), this JVM's, and this JVM's by thread group (threads alive at both instants).
     */
    private record CpuSample(long busy, long total, long jvmNanos, Map<String, Long> groups, long gcMillis,
                             long jitMillis, long at) {
        private static final List<String> ORDER = List.of("publisher", "publisher's producer I/O", "broker",
                "other processors", "command load", "benchmark clients", "other");

        static CpuSample now() {
            long busy = -1;
            long total = -1;
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long sum = 0;
                for (int i = 1; i < f.length; i++) {
                    sum += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
                busy = sum - idle;
                total = sum;
            } catch (IOException | RuntimeException e) {
                // not Linux: machine-wide figure unavailable
            }
            long jvm = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                    ? os.getProcessCpuTime() : -1;
            Map<String, Long> groups = new HashMap<>();
            java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info == null) {
                    continue;
                }
                long nanos = threads.getThreadCpuTime(info.getThreadId());
                if (nanos > 0) {
                    groups.put(info.getThreadId() + " " + group(info.getThreadName()), nanos);
                }
            }
            long gc = 0;
            for (java.lang.management.GarbageCollectorMXBean collector
                    : ManagementFactory.getGarbageCollectorMXBeans()) {
                gc += Math.max(0, collector.getCollectionTime());
            }
            java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            long compiled = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime()
                    : 0;
            return new CpuSample(busy, total, jvm, groups, gc, compiled, System.nanoTime());
        }

        private static String group(String thread) {
            if (thread.contains("[" + PROCESSOR + "]")) {
                return "publisher";
            }
            if (thread.startsWith("kafka-producer-network-thread | twin-platform-publisher")) {
                return "publisher's producer I/O";
            }
            if (thread.startsWith("EventProcessor[")) {
                return "other processors";
            }
            if (thread.startsWith("pool-")) {
                return "command load";
            }
            if (thread.contains("kafka-benchmark") || thread.equals("main")) {
                return "benchmark clients";
            }
            if (thread.startsWith("data-plane-kafka") || thread.startsWith("kafka-") || thread.contains("-kafka-")
                    || thread.startsWith("broker-") || thread.startsWith("controller-")
                    || thread.startsWith("quorum-controller") || thread.startsWith("ExpirationReaper")
                    || thread.startsWith("log-cleaner") || thread.startsWith("group-metadata-manager")
                    || thread.startsWith("raft-") || thread.startsWith("LogDirFailureHandler")) {
                return "broker";
            }
            return "other";
        }

        /** Cores used by each thread group of this JVM since this sample. */
        Map<String, Double> coresByGroup(CpuSample end) {
            Map<String, Double> cores = new LinkedHashMap<>();
            ORDER.forEach(g -> cores.put(g, 0.0));
            double seconds = end.at - at;
            end.groups.forEach((key, nanos) -> {
                long before = groups.getOrDefault(key, 0L);
                String group = key.substring(key.indexOf(' ') + 1);
                cores.merge(group, (nanos - before) / seconds, Double::sum);
            });
            return cores;
        }

        /** Nanoseconds of CPU the group used since this sample. */
        long groupNanos(CpuSample end, String group) {
            long sum = 0;
            for (Map.Entry<String, Long> e : end.groups.entrySet()) {
                if (e.getKey().endsWith(" " + group)) {
                    sum += e.getValue() - groups.getOrDefault(e.getKey(), 0L);
                }
            }
            return sum;
        }

        String since() {
            return since(now());
        }

        String since(CpuSample end) {
            int cores = Runtime.getRuntime().availableProcessors();
            String machine = total < 0 || end.total == total ? "n/a"
                    : String.format("%.0f%%", 100.0 * (end.busy - busy) / (end.total - total));
            String jvm = jvmNanos < 0 ? "n/a"
                    : String.format("%.2f", (end.jvmNanos - jvmNanos) / (double) (end.at - at));
            StringBuilder byGroup = new StringBuilder();
            coresByGroup(end).forEach((group, used) -> {
                if (used >= 0.005) {
                    byGroup.append(byGroup.isEmpty() ? "" : ", ").append(group).append(' ')
                            .append(String.format("%.2f", used));
                }
            });
            return "machine CPU busy " + machine + " of " + cores + " cores, this JVM used " + jvm + " cores (threads: "
                    + byGroup + "; the rest is GC, JIT and other JVM threads; GC time " + (end.gcMillis - gcMillis)
                    + " ms, JIT time " + (end.jitMillis - jitMillis) + " ms, both wall clock)";
        }
    }
}
