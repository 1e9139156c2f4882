package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Projections rebuild on demand over HTTP, with their progress visible, while writes go on; the rebuilt state
 * equals what was there before.
 */
class ProjectionAdminTest extends PlatformTestSupport {

    @Test
    void listsTheProjectionsWithTheirPositions() {
        createDevice("{}");
        JsonNode body = http.get("/admin/projections").json();
        List<String> names = new ArrayList<>();
        body.get("projections").forEach(p -> names.add(p.get("name").asText()));
        assertThat(names).contains("twin-state", "audit-chain").doesNotContain("twin-current", "twin-history");
        assertThat(body.get("head").asLong()).isPositive();
    }

    @Test
    void aReplayRebuildsTheCurrentStateEqualWhileWritesGoOn() throws Exception {
        String device = createDevice("{'tags':{'n':1},'properties':{'desired':{'fan':1}}}");
        http.patch("/twins/" + device + "/properties/reported", q("{'fan':1}"));
        JsonNode before = http.get("/twins/" + device).json();

        Reply started = http.post("/admin/projections/twin-state/replay", "");
        assertThat(started.status()).as("%s", started).isEqualTo(202);
        assertThat(started.json().get("total").asLong()).isPositive();
        assertThat(started.json().get("replaying").asBoolean()).isTrue();
        // Writes are accepted during the replay (their answers may wait for the projection to catch up).
        String during = newDeviceId();
        assertThat(http.put("/twins/" + during, q("{'tags':{'made':'during replay'}}")).status()).isEqualTo(201);

        JsonNode finished = http.awaitReplayed("twin-state");
        assertThat(finished.get("done").asLong()).isGreaterThanOrEqualTo(finished.get("total").asLong());
        assertThat(http.get("/twins/" + device).json()).isEqualTo(before);
        assertThat(http.get("/twins/" + during).json().at("/tags/made").asText()).isEqualTo("during replay");
    }

    /**
     * What a module declares may never be reset: the append-only chain, the configuration applier (a replay would
     * offer old configurations again) and the rollout sagas; a subscribing group is not a projection to replay.
     */
    @Test
    void refusesWhatCannotBeReplayed() {
        TwinHttp.assertProblem(http.post("/admin/projections/audit-chain/replay", ""), 409, "notReplayable");
        TwinHttp.assertProblem(http.post("/admin/projections/twin-configurations/replay", ""), 409,
                "notReplayable");
        TwinHttp.assertProblem(http.post("/admin/projections/RolloutSagaProcessor/replay", ""), 409,
                "notReplayable");
        TwinHttp.assertProblem(http.post("/admin/projections/twin-registry/replay", ""), 409, "notReplayable");
        TwinHttp.assertProblem(http.post("/admin/projections/nope/replay", ""), 404, "projectionNotFound");
    }
}
