package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Many operators writing one twin at once, each with read-modify-write under If-Match: every update lands exactly
 * once (a lost race is a 412, retried after a fresh read), none is lost, and the version counts every one.
 */
class ConcurrentWritersTest extends PlatformTestSupport {

    private static final int THREADS = 8;
    private static final int UPDATES_PER_THREAD = 200;
    private static final Duration LIMIT = Duration.ofMinutes(5);

    @Test
    void concurrentConditionalPatchesLoseNothing() throws Exception {
        String id = createDevice("{'properties':{'desired':{'shared':true}}}");
        String path = "/twins/" + id;
        long initial = http.get(path).version();
        long deadline = System.nanoTime() + LIMIT.toNanos();
        AtomicLong conflicts = new AtomicLong();

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<Integer>> writers = new ArrayList<>();
        long started = System.nanoTime();
        try {
            for (int t = 0; t < THREADS; t++) {
                String key = "t" + t;
                writers.add(pool.submit(() -> {
                    int done = 0;
                    while (done < UPDATES_PER_THREAD) {
                        if (System.nanoTime() > deadline || Thread.currentThread().isInterrupted()) {
                            throw new TimeoutException(key + " made only " + done + " updates in time");
                        }
                        Reply read = http.get(path);
                        assertThat(read.status()).as("%s", read).isEqualTo(200);
                        JsonNode counter = read.json().path("properties").path("desired").path(key);
                        long next = (counter.isMissingNode() ? 0 : counter.asLong()) + 1;
                        Reply write = http.patch(path, q("{'properties':{'desired':{'" + key + "':" + next + "}}}"),
                                "If-Match", read.etag());
                        if (write.status() == 200) {
                            assertThat(write.json().path("properties").path("desired").path(key).asLong()).isEqualTo(next);
                            done++;
                        } else if (write.status() == 412) {
                            // Lost the race: read again and retry, after a short random pause so that the losers
                            // do not all queue up on the twin at once.
                            conflicts.incrementAndGet();
                            Thread.sleep(ThreadLocalRandom.current().nextInt(5, 40));
                        } else {
                            throw new AssertionError("unexpected answer " + write);
                        }
                    }
                    return done;
                }));
            }
            for (Future<Integer> writer : writers) {
                long left = deadline - System.nanoTime();
                try {
                    assertThat(writer.get(Math.max(left, 1), TimeUnit.NANOSECONDS)).isEqualTo(UPDATES_PER_THREAD);
                } catch (TimeoutException e) {
                    fail("the writers did not finish within " + LIMIT);
                }
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        System.out.printf("%d x %d conditional patches in %d ms with %d conflicts (412) retried%n", THREADS,
                UPDATES_PER_THREAD, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), conflicts.get());

        Reply end = http.get(path);
        assertThat(end.version()).isEqualTo(initial + (long) THREADS * UPDATES_PER_THREAD);
        assertThat(end.etag()).isEqualTo("\"" + end.version() + "\"");
        JsonNode desired = end.json().path("properties").path("desired");
        for (int t = 0; t < THREADS; t++) {
            assertThat(desired.path("t" + t).asLong()).as("updates of writer t%d", t).isEqualTo(UPDATES_PER_THREAD);
        }
        assertThat(desired.path("shared").asBoolean()).isTrue();
        assertThat(desired.path("$version").asLong()).isEqualTo(1 + (long) THREADS * UPDATES_PER_THREAD);
    }
}
