package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes from several threads as devices and operators would, each thread on its own twins: device reports
 * ({@code PATCH .../properties/reported} with an {@code Idempotency-Key}) and desired patches, alternately, each
 * carrying a unique {@code marker}. Every answer is kept (status, version, body; no answer at all when the connection
 * failed), so a test can check, after a crash or a stop and a restart, that every acknowledged write is stored at
 * its version and that no write that committed was answered with an error.
 */
final class WriteLoad {

    /** One request and what came back; {@code status} -1 when no answer came (connection refused or reset). */
    record Outcome(String twinId, boolean reported, String marker, int status, long version, String body) {

        boolean acknowledged() {
            return status >= 200 && status < 300;
        }

        String section() {
            return reported ? "reported" : "desired";
        }
    }

    private final TwinHttp http;
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger acknowledged = new AtomicInteger();
    private final List<String> twins = new ArrayList<>();

    private WriteLoad(TwinHttp http) {
        this.http = http;
    }

    /** Creates {@code threads × twinsPerThread} twins and starts writing to them. */
    static WriteLoad start(TwinHttp http, int threads, int twinsPerThread) {
        WriteLoad load = new WriteLoad(http);
        for (int t = 0; t < threads; t++) {
            List<String> own = new ArrayList<>();
            for (int i = 0; i < twinsPerThread; i++) {
                String id = TwinHttp.newDeviceId();
                TwinHttp.Reply created = http.put("/twins/" + id, TwinHttp.q("{'tags':{'load':true}}"));
                assertThat(created.status()).as("create %s: %s", id, created).isEqualTo(201);
                own.add(id);
                load.twins.add(id);
            }
            Thread thread = new Thread(() -> load.write(own), "write-load-" + t);
            thread.setDaemon(true);
            load.threads.add(thread);
        }
        load.threads.forEach(Thread::start);
        return load;
    }

    private void write(List<String> own) {
        int n = 0;
        while (!stop.get()) {
            String twin = own.get(n % own.size());
            boolean reported = n % 2 == 0;
            String marker = UUID.randomUUID().toString();
            String body = TwinHttp.q("{'seq':" + n + ",'marker':'" + marker + "'}");
            Outcome outcome;
            try {
                TwinHttp.Reply reply = reported
                        ? http.patch("/twins/" + twin + "/properties/reported", body, "Idempotency-Key", marker)
                        : http.patch("/twins/" + twin, TwinHttp.q("{'properties':{'desired':" + body + "}}"));
                long version = reply.status() / 100 == 2 ? reply.version() : -1;
                outcome = new Outcome(twin, reported, marker, reply.status(), version, reply.body());
            } catch (UncheckedIOException noAnswer) {
                outcome = new Outcome(twin, reported, marker, -1, -1, String.valueOf(noAnswer.getCause()));
                PlatformProcess.sleep(50);
            }
            outcomes.add(outcome);
            if (outcome.acknowledged()) {
                acknowledged.incrementAndGet();
            }
            n++;
        }
    }

    /** Waits until {@code count} writes were acknowledged, or {@code timeout}; fails if they were not. */
    void awaitAcknowledged(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acknowledged.get() < count && System.nanoTime() < deadline) {
            PlatformProcess.sleep(50);
        }
        assertThat(acknowledged.get()).as("acknowledged writes within %s", timeout).isGreaterThanOrEqualTo(count);
    }

    /** Stops writing and waits (up to 70 s: a request's own timeout is 60 s) for the threads to end. */
    List<Outcome> stop() {
        stop.set(true);
        for (Thread thread : threads) {
            try {
                thread.join(70_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(thread.isAlive()).as("%s ended", thread.getName()).isFalse();
        }
        return List.copyOf(outcomes);
    }

    List<String> twins() {
        return twins;
    }

    /**
     * Checks, on a platform started again on the same data directory, that every acknowledged write is stored:
     * the twin's version is at least the acknowledged one, the history lists that version, the twin as it was at
     * that version ({@code atVersion}) carries the write's marker, and the audit trail verifies as valid.
     */
    static void assertAcknowledgedWritesKept(TwinHttp http, List<Outcome> outcomes) {
        Map<String, Long> latest = new HashMap<>();
        for (Outcome outcome : outcomes) {
            if (outcome.acknowledged()) {
                latest.merge(outcome.twinId(), outcome.version(), Math::max);
            }
        }
        assertThat(latest).as("acknowledged writes").isNotEmpty();
        long events = 0;
        Map<String, Set<Long>> historyVersions = new HashMap<>();
        for (Map.Entry<String, Long> twin : latest.entrySet()) {
            TwinHttp.Reply current = http.get("/twins/" + twin.getKey());
            assertThat(current.status()).as("%s", current).isEqualTo(200);
            assertThat(current.version()).as("version of %s", twin.getKey()).isGreaterThanOrEqualTo(twin.getValue());
            events += current.version();
            JsonNode history = http.awaitHistory("/twins/" + twin.getKey() + "/history?pageSize=1000",
                    (int) current.version());
            Set<Long> versions = new TreeSet<>();
            history.get("items").forEach(item -> versions.add(item.get("version").asLong()));
            historyVersions.put(twin.getKey(), versions);
        }
        for (Outcome outcome : outcomes) {
            if (!outcome.acknowledged()) {
                continue;
            }
            assertThat(historyVersions.get(outcome.twinId())).as("history of %s", outcome.twinId())
                    .contains(outcome.version());
            TwinHttp.Reply then = http.get("/twins/" + outcome.twinId() + "?atVersion=" + outcome.version());
            assertThat(then.status()).as("%s at version %d: %s", outcome.twinId(), outcome.version(), then)
                    .isEqualTo(200);
            assertThat(then.version()).isEqualTo(outcome.version());
            assertThat(then.json().at("/properties/" + outcome.section() + "/marker").asText())
                    .as("the write acknowledged as %s version %d", outcome.twinId(), outcome.version())
                    .isEqualTo(outcome.marker());
        }
        long expected = events;
        JsonNode verified = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            TwinHttp.Reply reply = http.post("/audit/verify", "{}");
            assertThat(reply.status()).as("%s", reply).isEqualTo(200);
            verified = reply.json();
            if (verified.get("checked").asLong() >= expected) {
                break;
            }
            PlatformProcess.sleep(200);
        }
        assertThat(verified.get("checked").asLong()).as("events chained: %s", verified).isGreaterThanOrEqualTo(expected);
        assertThat(verified.get("valid").asBoolean()).as("audit verify: %s", verified).isTrue();
        System.out.printf("after the restart: %d acknowledged writes to %d twins kept (version, history row, atVersion),"
                + " %d events verified in the chain%n", outcomes.stream().filter(Outcome::acknowledged).count(),
                latest.size(), verified.get("checked").asLong());
    }

    /**
     * Whether the write with {@code outcome}'s marker is stored (some version of its twin carries the marker), read
     * from the twin's history on a running platform.
     */
    static boolean stored(TwinHttp http, Outcome outcome) {
        JsonNode history = http.get("/twins/" + outcome.twinId() + "/history?pageSize=1000&includeState=true").json();
        for (JsonNode item : history.get("items")) {
            if (item.toString().contains(outcome.marker())) {
                return true;
            }
        }
        return false;
    }
}
