package io.twinplatform.deploy;

import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.j;
import static io.twinplatform.deploy.TwinHttp.q;
import static io.twinplatform.deploy.TwinHttp.values;
import static org.assertj.core.api.Assertions.assertThat;

/** A device retrying a reported patch with the same Idempotency-Key changes the twin once. */
class ReportedIdempotencyTest extends PlatformTestSupport {

    private Reply report(String id, String key, String body) {
        Reply reply = http.patch("/twins/" + id + "/properties/reported", q(body), "Idempotency-Key", key);
        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
        return reply;
    }

    private static long reportedVersion(Reply reply) {
        return reply.json().path("properties").path("reported").path("$version").asLong();
    }

    @Test
    void aRetryWithTheSameKeyIsANoOpEvenAfterOtherWrites() {
        String id = createDevice("{'properties':{'desired':{'temp':22}}}");

        Reply first = report(id, "k-1", "{'temp':20,'uptime':1}");
        assertThat(first.version()).isEqualTo(2);
        assertThat(reportedVersion(first)).isEqualTo(2);

        Reply retry = report(id, "k-1", "{'temp':20,'uptime':1}");
        assertThat(retry.version()).isEqualTo(2);
        assertThat(retry.etag()).isEqualTo("\"2\"");
        assertThat(reportedVersion(retry)).isEqualTo(2);
        assertThat(http.get("/twins/" + id).version()).isEqualTo(2);

        Reply other = report(id, "k-2", "{'temp':21,'uptime':2}");
        assertThat(other.version()).isEqualTo(3);
        assertThat(reportedVersion(other)).isEqualTo(3);
        assertThat(values(other.json().path("properties").path("reported"))).isEqualTo(j("{'temp':21,'uptime':2}"));

        Reply operator = http.patch("/twins/" + id, q("{'properties':{'desired':{'temp':23}}}"));
        assertThat(operator.version()).isEqualTo(4);

        // The first report arrives once more, late: it must not roll the device's state back.
        Reply late = report(id, "k-1", "{'temp':20,'uptime':1}");
        assertThat(late.version()).isEqualTo(4);
        assertThat(reportedVersion(late)).isEqualTo(3);
        Reply read = http.get("/twins/" + id);
        assertThat(read.version()).isEqualTo(4);
        assertThat(values(read.json().path("properties").path("reported"))).isEqualTo(j("{'temp':21,'uptime':2}"));
        assertThat(read.json().path("delta")).isEqualTo(j("{'temp':23}"));
    }

    @Test
    void keysBelongToOneTwin() {
        String a = createDevice("{}");
        String b = createDevice("{}");
        assertThat(report(a, "shared-key", "{'x':1}").version()).isEqualTo(2);
        assertThat(report(b, "shared-key", "{'x':1}").version()).isEqualTo(2);
        assertThat(values(http.get("/twins/" + b).json().path("properties").path("reported"))).isEqualTo(j("{'x':1}"));
    }

    @Test
    void withoutAKeyEveryChangingPatchApplies() {
        String id = createDevice("{}");
        Reply first = http.patch("/twins/" + id + "/properties/reported", q("{'n':1}"));
        Reply second = http.patch("/twins/" + id + "/properties/reported", q("{'n':2}"));
        assertThat(first.version()).isEqualTo(2);
        assertThat(second.version()).isEqualTo(3);
        // The same values again change nothing.
        assertThat(http.patch("/twins/" + id + "/properties/reported", q("{'n':2}")).version()).isEqualTo(3);
    }

    @Test
    void aBlankOrOverlongKeyIsRefused() {
        String id = createDevice("{}");
        assertProblem(http.patch("/twins/" + id + "/properties/reported", q("{'n':1}"), "Idempotency-Key", "x".repeat(129)),
                400, "invalidIdempotencyKey");
        assertThat(http.get("/twins/" + id).version()).isEqualTo(1);
    }
}
