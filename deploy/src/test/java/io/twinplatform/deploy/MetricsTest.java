package io.twinplatform.deploy;

import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Prometheus server scrapes the platform with a key that holds the monitor role, and finds what docs/operations.md
 * lists: commands by type and outcome, each processor's backlog, the caches, the refusals, and histograms with
 * buckets that add up across instances.
 */
class MetricsTest extends PlatformTestSupport {

    @Test
    void aMonitorKeyScrapesTheCommandsProcessorsCachesAndHistograms() {
        String id = createDevice("{'tags':{'site':'a'}}");
        String reported = "/twins/" + id + "/properties/reported";
        assertThat(http.patch(reported, q("{'temperature':21}")).status()).isEqualTo(200);
        assertThat(http.patch(reported, q("{'temperature':21}")).status()).as("the same values again").isEqualTo(200);
        assertThat(http.patch("/twins/" + id, q("{'tags':{'site':'b'}}"), "If-Match", "\"1\"").status())
                .as("a stale etag").isEqualTo(412);
        http.awaitHistory("/twins/" + id + "/history", 2);

        TwinHttp monitor = http.as("prometheus-" + newDeviceId().substring(4, 12), "monitor").http();
        Reply scrape = monitor.get("/actuator/prometheus");
        assertThat(scrape.status()).as("%s", scrape).isEqualTo(200);
        assertThat(scrape.contentType()).startsWith("text/plain");
        String text = scrape.body();

        String reports = "type=\"PatchReportedProperties\"";
        assertThat(sample(text, "twin_commands_seconds_count", reports, "outcome=\"applied\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(text, "twin_commands_seconds_count", reports, "outcome=\"noop\"")).isGreaterThanOrEqualTo(1);
        assertThat(sample(text, "twin_commands_seconds_count", "type=\"PatchTwin\"", "outcome=\"refused\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(text, "twin_commands_seconds_bucket", "type=\"PutTwin\"", "outcome=\"applied\"",
                "le=\"+Inf\"")).isGreaterThanOrEqualTo(1);
        assertThat(buckets(text, "twin_commands_seconds_bucket", "type=\"PutTwin\"", "outcome=\"applied\""))
                .as("a modest number of buckets per series").isBetween(10, 80);
        assertThat(text).containsPattern("(?m)^http_server_requests_seconds_bucket\\{.*le=\"");

        for (String processor : new String[]{"twin-state", "audit-chain"}) {
            assertThat(sample(text, "twin_projection_backlog", "processor=\"" + processor + "\"")).as(processor)
                    .isGreaterThanOrEqualTo(0);
            assertThat(sample(text, "twin_projection_backlog_age_seconds", "processor=\"" + processor + "\""))
                    .as(processor).isGreaterThanOrEqualTo(0);
        }
        assertThat(sample(text, "cache_gets_total", "cache=\"twins\"", "result=\"hit\"")).isGreaterThan(0);
        assertThat(text).containsPattern("(?m)^twin_security_denied_total\\{.*reason=\"unauthenticated\"")
                .containsPattern("(?m)^twin_security_throttled_total");
    }

    @Test
    void theScrapeNeedsCredentialsAndTheMonitorRoleReadsNothingElse() {
        Reply anonymous = http.anonymous().get("/actuator/prometheus");
        assertThat(anonymous.status()).as("%s", anonymous).isEqualTo(401);
        assertThat(anonymous.body()).doesNotContain("twin_commands");

        String id = createDevice("{}");
        TwinHttp monitor = http.as("scraper-" + newDeviceId().substring(4, 12), "monitor").http();
        assertThat(monitor.get("/twins/" + id).status()).isEqualTo(403);
        assertThat(monitor.get("/actuator/metrics").status()).isEqualTo(403);
        assertThat(monitor.get("/actuator/health").status()).isEqualTo(403);
        TwinHttp viewer = http.as("not-a-scraper-" + newDeviceId().substring(4, 12), "viewer").http();
        assertThat(viewer.get("/actuator/prometheus").status()).isEqualTo(403);
        assertThat(http.get("/actuator/prometheus").status()).as("an admin may").isEqualTo(200);
    }

    /** The value of the first sample of {@code name} whose labels hold all of {@code labels}. */
    private static double sample(String text, String name, String... labels) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)").matcher(text);
        while (line.find()) {
            if (holds(line.group(1), labels)) {
                return Double.parseDouble(line.group(2));
            }
        }
        throw new AssertionError("no sample " + name + " with " + String.join(",", labels));
    }

    /** How many {@code name} samples (buckets) hold all of {@code labels}. */
    private static int buckets(String text, String name, String... labels) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*}) ").matcher(text);
        int count = 0;
        while (line.find()) {
            if (holds(line.group(1), labels)) {
                count++;
            }
        }
        return count;
    }

    private static boolean holds(String labelSet, String... labels) {
        for (String label : labels) {
            if (labelSet == null || !labelSet.contains(label)) {
                return false;
            }
        }
        return true;
    }
}
