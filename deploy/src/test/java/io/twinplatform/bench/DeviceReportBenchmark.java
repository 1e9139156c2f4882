package io.twinplatform.bench;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Device reports end to end with the devices in a process of their own, as the write-path issue measures them:
 * every report an event, a current-state row, a history row and a chain link, counted as <b>sustained</b> (until
 * every processor has drained), beside the floor program ({@link FloorWriter}) run in the same JVM against
 * the same PostgreSQL.
 * <p>
 * Starts the platform in this JVM (embedded PostgreSQL and embedded broker), creates {@code bench.devices} twins
 * (default 5,000), then starts {@link DeviceLoad} in a child JVM, which connects every device with its derived key and
 * publishes reported patches (QoS 1, each with a {@code clientToken}) round-robin over the devices. The embedded
 * broker answers a device's PUBACK only once its report is committed and answered, so publish → PUBACK is publish →
 * committed. Phases, each left to drain before the next:
 * <ol>
 *   <li>a warm-up at {@code bench.warmup-rate} reports/s (default 1,000) for {@code bench.warmup-seconds} (20);</li>
 *   <li>{@code load}: {@code bench.rate} reports/s (default 6,000, above what two cores take) for {@code bench.seconds}
 *   (30); its sustained rate is the platform's capacity here;</li>
 *   <li>{@code 80%}: 0.8 times that capacity, for the latency the issue asks at 80% (publish → committed p99);</li>
 *   <li>{@code 2x}: twice that capacity, to see it degrade without collapse or loss (PUBACKs in the last third of
 *   the load against the first).</li>
 * </ol>
 * Each phase prints reports sent, acknowledged (committed), refused at the edge ({@code QUOTA_EXCEEDED}), and
 * rejected; the rate while loaded and sustained; publish → PUBACK p50/p99; per 5 s, PUBACKs, checkpoints and
 * autovacuum, and the broker's edge against the commits ({@code EdgeWatch}); the CPU per report of the platform's JVM,
 * the load generator and PostgreSQL. Then the floor program, and each phase's ratio to it.
 * <p>
 * Run: {@code ./mvnw -Pbench -Dbench.main=io.twinplatform.bench.DeviceReportBenchmark -DskipTests -pl deploy -am verify}.
 */
public final class DeviceReportBenchmark {

    private static final int DEVICES = Integer.getInteger("bench.devices", 5_000);
    private static final int RATE = Integer.getInteger("bench.rate", 6_000);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 30);
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup-seconds", 20);
    private static final int WARMUP_RATE = Integer.getInteger("bench.warmup-rate", 1_000);
    private static final int FLOOR_WRITERS = Integer.getInteger("bench.floor-writers", 4);

    private DeviceReportBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        try (ConfigurableApplicationContext platform = BenchSupport.startWithBroker("twin-bench-reports")) {
            run(platform);
        }
    }

    private static void run(ConfigurableApplicationContext platform) throws Exception {
        EmbeddedBroker broker = platform.getBean(EmbeddedBroker.class);
        CommandGateway commands = platform.getBean(CommandGateway.class);
        DataSource dataSource = platform.getBean(DataSource.class);
        MeterRegistry meters = platform.getBean(MeterRegistry.class);
        System.out.printf(Locale.ROOT, "%s; %,d devices in their own process%n", BenchSupport.machine(dataSource),
                DEVICES);
        List<String> ids = BenchSupport.createDevices(commands, dataSource, "bench-dev", DEVICES);
        BenchSupport.awaitAllProcessors(dataSource, 300);

        try (DeviceLoadProcess load = DeviceLoadProcess.start(broker, ids)) {
            System.out.println(load.expect("ready", 300));
            if (WARMUP_SECONDS > 0) {
                phase(load, dataSource, meters, "warm-up", WARMUP_RATE, WARMUP_SECONDS, "w");
            }
            double capacity = phase(load, dataSource, meters, "load", RATE, SECONDS, "l");
            double eighty = phase(load, dataSource, meters, "80%", (int) Math.round(0.8 * capacity), SECONDS, "e");
            double twice = phase(load, dataSource, meters, "2x", (int) Math.round(2 * capacity), SECONDS, "o");

            long[] floor = FloorWriter.run(dataSource, 100_000, FLOOR_WRITERS);
            double floorPerSecond = floor[0] / (floor[1] / 1e9);
            System.out.printf(Locale.ROOT, "floor (plain JDBC: event, document, history row, head, chain link; %d"
                            + " events per commit, %d writers): %,d events in %.1f s = %,.0f/s%n",
                    FloorWriter.PER_COMMIT, FLOOR_WRITERS, floor[0], floor[1] / 1e9, floorPerSecond);
            System.out.printf(Locale.ROOT, "ratio to the floor, sustained: load %.2f, 80%% %.2f, 2x %.2f%n",
                    capacity / floorPerSecond, eighty / floorPerSecond, twice / floorPerSecond);
            System.out.printf(Locale.ROOT, "verdict: %,.0f device reports/s sustained, target >= 4,500: %s%n", capacity,
                    capacity >= 4_500 ? "met" : "NOT met");
        }
    }

    /**
     * A thread that samples something through a phase and adds one word per 5 s from its start; {@link #stop} ends
     * it and returns the words, comma-separated.
     */
    private abstract static class Watch {

        private final StringBuilder shape = new StringBuilder();
        private final Thread thread;
        private final int periodMillis;
        private volatile boolean running = true;

        /** {@code periodMillis}: how often {@link #sample} runs (a divisor of 5,000). */
        Watch(String name, int periodMillis) {
            this.periodMillis = periodMillis;
            this.thread = new Thread(this::run, name);
            thread.setDaemon(true);
        }

        final Watch start() {
            thread.start();
            return this;
        }

        /** Until stopped: a sample every {@code periodMillis}, and after 5 s of them the period's word. */
        private void run() {
            begin();
            while (running) {
                for (int i = 0; i < 5_000 / periodMillis && running; i++) {
                    sample();
                    try {
                        Thread.sleep(periodMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                String word = word();
                synchronized (shape) {
                    shape.append(shape.isEmpty() ? "" : ",").append(word);
                }
            }
        }

        /** Reads the starting counts. */
        abstract void begin();

        /** One sample within a 5 s period. */
        abstract void sample();

        /** The period's word; resets what {@link #sample} gathered. */
        abstract String word();

        final String stop() throws InterruptedException {
            running = false;
            thread.join(10_000);
            synchronized (shape) {
                return shape.toString();
            }
        }
    }

    /**
     * What PostgreSQL does in the background while a phase runs, per 5 s from its start: checkpoints started (timed or
     * requested) and the tables autovacuum was seen working on, as {@code checkpoints/tables} words ({@code -}: none).
     */
    private static final class DatabaseWatch extends Watch {

        private final JdbcTemplate jdbc;
        private final Set<String> vacuuming = new TreeSet<>();
        private long checkpoints;

        DatabaseWatch(DataSource dataSource) {
            super("bench-database-watch", 500);
            this.jdbc = new JdbcTemplate(dataSource);
        }

        @Override
        void begin() {
            checkpoints = checkpoints();
        }

        @Override
        void sample() {
            vacuuming.addAll(jdbc.queryForList("SELECT p.relid::regclass::text FROM pg_stat_progress_vacuum p"
                    + " JOIN pg_stat_activity a ON a.pid = p.pid WHERE a.backend_type = 'autovacuum worker'",
                    String.class));
        }

        @Override
        String word() {
            long now = checkpoints();
            String word = (now - checkpoints) + "/" + (vacuuming.isEmpty() ? "-" : String.join("+", vacuuming));
            checkpoints = now;
            vacuuming.clear();
            return word;
        }

        private long checkpoints() {
            return jdbc.queryForObject("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter", Long.class);
        }
    }

    /**
     * Where device messages are, per 5 s from a phase's start, read off the platform's meters every 100 ms: the most
     * in the platform's hands and the most waiting at the broker's edge, the publishes refused, and the twin commands
     * committed, as {@code inHand/waiting/refused/committed} words. Tells a stall of the commit path (messages in
     * hand, few commits) from one at the edge (few in hand, many waiting).
     */
    private static final class EdgeWatch extends Watch {

        private final MeterRegistry meters;
        private double inHand;
        private double waiting;
        private double refused;
        private double committed;

        EdgeWatch(MeterRegistry meters) {
            super("bench-edge-watch", 100);
            this.meters = meters;
        }

        @Override
        void begin() {
            refused = counter("twin.devices.admission.refused");
            committed = committed();
        }

        @Override
        void sample() {
            inHand = Math.max(inHand, gauge("twin.devices.admission.backlog"));
            waiting = Math.max(waiting, gauge("twin.devices.admission.suspended"));
        }

        @Override
        String word() {
            double refusedNow = counter("twin.devices.admission.refused");
            double committedNow = committed();
            String word = String.format(Locale.ROOT, "%.0f/%.0f/%.0f/%.0f", inHand, waiting, refusedNow - refused,
                    committedNow - committed);
            inHand = 0;
            waiting = 0;
            refused = refusedNow;
            committed = committedNow;
            return word;
        }

        private double gauge(String name) {
            Gauge gauge = meters.find(name).gauge();
            return gauge == null ? Double.NaN : gauge.value();
        }

        private double counter(String name) {
            FunctionCounter counter = meters.find(name).functionCounter();
            return counter == null ? Double.NaN : counter.count();
        }

        private double committed() {
            DistributionSummary sizes = meters.find("twin.command.group.size").summary();
            return sizes == null ? Double.NaN : sizes.totalAmount();
        }
    }

    /** One phase, until every processor drained; returns its sustained rate (reports per second). */
    private static double phase(DeviceLoadProcess load, DataSource dataSource, MeterRegistry meters, String name,
                                int rate, int seconds, String prefix) throws Exception {
        BenchSupport.Cpu cpuBefore = BenchSupport.Cpu.now(dataSource);
        Watch database = new DatabaseWatch(dataSource).start();
        Watch edge = new EdgeWatch(meters).start();
        long start = System.nanoTime();
        load.send("run " + rate + " " + seconds + " 1 0 " + prefix + " reported");
        load.expect("loaded", seconds + 120L);
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        Map<String, String> done = DeviceLoadProcess.fields(load.expect("done", 180));
        double drained = BenchSupport.awaitAllProcessors(dataSource, 900);
        double total = (System.nanoTime() - start) / 1e9;
        String databaseShape = database.stop();
        String edgeShape = edge.stop();
        BenchSupport.Cpu cpu = BenchSupport.Cpu.now(dataSource).minus(cpuBefore);
        load.send("rejected");
        long rejected = Long.parseLong(load.expect("rejected", 30).split(" ")[1]);

        long acked = Long.parseLong(done.get("acked_samples"));
        long first = Long.parseLong(done.get("acked_first_third"));
        long last = Long.parseLong(done.get("acked_last_third"));
        double sustained = drained < 0 ? Double.NaN : acked / total;
        double perReport = acked == 0 ? 0 : 1.0 / acked / 1e3;
        long loadCpu = Long.parseLong(done.get("cpu_ms")) * 1_000_000;
        System.out.printf(Locale.ROOT, "[%s] offered %,d reports/s: sent %s in %s s, acknowledged (committed) %,d,"
                        + " refused or failed at PUBACK %s, no PUBACK %s; rejected answers so far %,d%n", name, rate,
                done.get("messages"), done.get("seconds"), acked, done.get("failed_samples"),
                done.get("unacked_samples"), rejected);
        double lastAck = Double.parseDouble(done.get("last_ack_seconds"));
        System.out.printf(Locale.ROOT, "[%s] committed: %,.0f/s while loaded, %,.0f/s until the last PUBACK (%.1f s);"
                        + " every processor drained %.1f s after that: sustained %,.0f reports/s%n", name,
                Long.parseLong(done.get("acked_while_loaded")) / loadSeconds, acked / lastAck, lastAck, drained,
                sustained);
        System.out.printf(Locale.ROOT, "[%s] PUBACKs first / last third of the load: %,d / %,d (%.0f%%); per 5 s: %s%n",
                name, first, last, first == 0 ? 0 : 100.0 * last / first, done.get("acked_per_5s"));
        System.out.printf(Locale.ROOT, "[%s] database per 5 s (checkpoints started / tables autovacuum worked on): %s%n",
                name, databaseShape);
        System.out.printf(Locale.ROOT, "[%s] edge and commits per 5 s (most in the platform's hands / most waiting at"
                + " the edge / refused / twin commands committed): %s%n", name, edgeShape);
        System.out.printf(Locale.ROOT, "[%s] publish -> PUBACK (committed and answered): p50 %s ms, p99 %s ms%n", name,
                done.get("puback_p50_ms"), done.get("puback_p99_ms"));
        System.out.printf(Locale.ROOT, "[%s] CPU per report (phase and drain): platform JVM %.0f µs, PostgreSQL %.0f µs,"
                        + " load generator %.0f µs%n", name, cpu.javaNanos() * perReport,
                cpu.postgresNanos() * perReport, loadCpu * perReport);
        return sustained;
    }
}
