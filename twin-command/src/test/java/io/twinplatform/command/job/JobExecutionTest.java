package io.twinplatform.command.job;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.command.ratelimit.TokenBucket;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One run of a job against a fake platform whose clock only moves when the run sleeps for a token or a twin
 * update takes time: what it sends, what it records, and when it stops.
 */
class JobExecutionTest {

    private static final Instant START = Instant.parse("2026-11-24T03:00:00Z");
    private static final long MS = 1_000_000;

    private final FakePlatform platform = new FakePlatform();

    @Test
    void sendsEverySelectedTwinTheUpdateAndCompletesWithTheCounts() throws InterruptedException {
        platform.fleet(25, 10);
        platform.refusing.add("dev-07");

        run(job(JobRow.SCHEDULED, 3600), 1000);

        assertThat(platform.patched).hasSize(25).doesNotHaveDuplicates();
        assertThat(platform.recorded).containsExactly("start 25", "complete 24 1");
        assertThat(platform.lastMessage).contains("dev-07");
        assertThat(platform.resumeTokens).containsExactly("page-10", "page-20");
    }

    @Test
    void aJobOnNoTwinsCompletesEmpty() throws InterruptedException {
        platform.fleet(0, 10);

        run(job(JobRow.SCHEDULED, 3600), 1000);

        assertThat(platform.patched).isEmpty();
        assertThat(platform.recorded).containsExactly("start 0", "complete 0 0");
    }

    @Test
    void sendsNoMoreOnceTheJobIsCancelled() throws InterruptedException {
        platform.fleet(40, 10);
        platform.patchTime = 100 * MS;
        platform.cancelAfter = 12;

        run(job(JobRow.SCHEDULED, 3600), 1000);

        // the cancel is seen at the next checkpoint: at most a second's worth of updates (100 ms each) later
        assertThat(platform.patched.size()).isBetween(12, 12 + (int) (JobExecution.CHECKPOINT_MILLIS / 100));
        assertThat(platform.recorded).containsExactly("start 40");
    }

    @Test
    void failsWhenItsMaximumExecutionTimeRunsOut() throws InterruptedException {
        platform.fleet(30, 10);
        platform.patchTime = 1000 * MS;

        run(job(JobRow.SCHEDULED, 10), 1000);

        assertThat(platform.patched).hasSize(10);
        assertThat(platform.recorded).hasSize(2);
        assertThat(platform.recorded.get(1))
                .startsWith("fail maxExecutionTimeInSeconds (10) ran out at 2026-11-24T03:00:10Z after 10 of 30")
                .endsWith(" 10 0");
    }

    @Test
    void aJobThatCouldNotStartInTimeFailsWithoutSelectingTwins() throws InterruptedException {
        platform.fleet(5, 10);
        platform.nanos = Duration.ofHours(2).toNanos();

        run(job(JobRow.SCHEDULED, 3600), 1000);

        assertThat(platform.queries).isEmpty();
        assertThat(platform.recorded).singleElement().asString().startsWith("fail it did not start before its maximum execution time");
    }

    @Test
    void aRunningJobResumesAtItsLastFinishedPageWithItsCounts() throws InterruptedException {
        platform.fleet(25, 10);
        JobRow resumed = new JobRow("fw-1", "scheduleUpdateTwin", "*", update(), START, START, 3600, null,
                JobRow.RUNNING, null, null, null, 25, 14, 0, "page-10", 9, 1);

        run(resumed, 1000);

        assertThat(platform.patched).containsExactlyElementsOf(twinIds(10, 25));
        assertThat(platform.recorded).containsExactly("complete 24 1");
    }

    @Test
    void aQueryThatCannotRunFailsTheJobWithItsReason() throws InterruptedException {
        platform.queryRefusal = new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE, "queryTimeout",
                "the query ran longer than 30000 ms"));

        run(job(JobRow.SCHEDULED, 3600), 1000);

        assertThat(platform.recorded).containsExactly(
                "fail its twins could not be selected: the query ran longer than 30000 ms 0 0");
    }

    @Test
    void aJobCancelledBeforeItsStartSendsNothing() throws InterruptedException {
        platform.fleet(5, 10);
        platform.startRefused = true;

        run(job(JobRow.SCHEDULED, 3600), 1000);

        assertThat(platform.patched).isEmpty();
        assertThat(platform.recorded).isEmpty();
    }

    @Test
    void takesAsLongAsTheRateAllows() throws InterruptedException {
        platform.fleet(20, 10);

        run(job(JobRow.SCHEDULED, 3600), 10);

        // the burst (one token at 10 a second) goes at once, then one update every 100 ms
        assertThat(platform.nanos).isEqualTo(1900 * MS);
        assertThat(platform.recorded).containsExactly("start 20", "complete 20 0");
    }

    private void run(JobRow job, double ratePerSecond) throws InterruptedException {
        TokenBucket bucket = new TokenBucket(ratePerSecond, Math.max(1, ratePerSecond / 10), () -> platform.nanos,
                nanos -> platform.nanos += nanos);
        new JobExecution(job, platform, bucket).run();
    }

    private static JobRow job(String status, int maxSeconds) {
        return new JobRow("fw-1", "scheduleUpdateTwin", "*", update(), START, START, maxSeconds, null, status, null,
                null, null, 0, 0, 0, null, 0, 0);
    }

    private static ObjectNode update() {
        ObjectNode update = JsonNodeFactory.instance.objectNode();
        update.putObject("tags").put("ring", "early");
        return update;
    }

    private static List<String> twinIds(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> String.format("dev-%02d", i)).toList();
    }

    /** The platform as a job sees it: pages of twin ids, twins that refuse, and a job table that can cancel. */
    private static final class FakePlatform implements JobPorts {

        long nanos;
        long patchTime;
        int cancelAfter = Integer.MAX_VALUE;
        boolean startRefused;
        TwinException queryRefusal;
        final Set<String> refusing = new HashSet<>();
        final Map<String, TwinQueryPage> pages = new HashMap<>();
        final List<String> queries = new ArrayList<>();
        final List<String> patched = new ArrayList<>();
        final List<String> recorded = new ArrayList<>();
        final List<String> resumeTokens = new ArrayList<>();
        int count;
        String lastMessage;

        /** {@code size} twins {@code dev-00…}, in pages of {@code pageSize}; tokens are {@code page-<offset>}. */
        void fleet(int size, int pageSize) {
            count = size;
            List<String> ids = twinIds(0, size);
            for (int offset = 0; offset == 0 || offset < size; offset += pageSize) {
                List<ObjectNode> items = ids.subList(offset, Math.min(size, offset + pageSize)).stream()
                        .map(id -> JsonNodeFactory.instance.objectNode().put("deviceId", id).putNull("moduleId"))
                        .toList();
                String next = offset + pageSize < size ? "page-" + (offset + pageSize) : null;
                pages.put(offset == 0 ? "first" : "page-" + offset, new TwinQueryPage(items, next));
            }
        }

        @Override
        public Instant now() {
            return START.plusNanos(nanos);
        }

        @Override
        public TwinQueryPage query(String query, String continuationToken) {
            queries.add(query);
            if (queryRefusal != null) {
                throw queryRefusal;
            }
            if (query.startsWith("SELECT COUNT()")) {
                return new TwinQueryPage(List.of(JsonNodeFactory.instance.objectNode().put("deviceCount", count)),
                        null);
            }
            return pages.get(continuationToken == null ? "first" : continuationToken);
        }

        @Override
        public void patch(JobRow job, String twinId) {
            nanos += patchTime;
            patched.add(twinId);
            if (refusing.contains(twinId)) {
                throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "twin " + twinId
                        + " does not exist"));
            }
        }

        @Override
        public void start(JobRow job, int deviceCount) {
            if (startRefused) {
                throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "jobFinished", "cancelled"));
            }
            recorded.add("start " + deviceCount);
        }

        @Override
        public void complete(JobRow job, int succeeded, int failed) {
            recorded.add("complete " + succeeded + " " + failed);
        }

        @Override
        public void fail(JobRow job, String reason, int succeeded, int failed) {
            recorded.add("fail " + reason + " " + succeeded + " " + failed);
        }

        @Override
        public String checkpoint(JobRow job, int succeeded, int failed, String statusMessage, String resumeToken) {
            lastMessage = statusMessage;
            if (resumeToken != null) {
                resumeTokens.add(resumeToken);
            }
            return patched.size() >= cancelAfter ? JobRow.CANCELLED : JobRow.RUNNING;
        }
    }
}
