package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fleet views over HTTP: a view's count moves with a write through the twin API, and {@code GET /fleet/views} lists
 * every view and refuses an unknown one. How the counts follow every kind of change, agree with a scan and are
 * recounted at start-up is twin-query's own test ({@code io.twinplatform.query.views.FleetViewsTest}).
 */
class FleetViewsTest extends PlatformTestSupport {

    @Test
    void reportedFirmwareAndSyncStateMove() {
        String firmware = "fw-" + newDeviceId();
        long inSyncBefore = count("inSync", true);
        long outOfSyncBefore = count("inSync", false);
        String device = createDevice("{'properties':{'desired':{'fan':2}}}");
        assertThat(count("inSync", false)).isEqualTo(outOfSyncBefore + 1);

        http.patch("/twins/" + device + "/properties/reported", q("{'fan':2,'firmware':{'version':'" + firmware + "'}}"));
        assertThat(count("firmware", firmware)).isEqualTo(1);
        assertThat(count("inSync", false)).isEqualTo(outOfSyncBefore);
        assertThat(count("inSync", true)).isEqualTo(inSyncBefore + 1);
    }

    @Test
    void listsEveryViewAndRefusesAnUnknownOne() {
        JsonNode all = http.get("/fleet/views").json();
        assertThat(all.get("views")).extracting(view -> view.get("name").asText())
                .containsExactly("status", "connectionState", "deviceType", "firmware", "inSync",
                        "invalidStateTransition");
        TwinHttp.assertProblem(http.get("/fleet/views/nope"), 404, "viewNotFound");
    }

    private long count(String view, Object value) {
        JsonNode expected = TwinHttp.JSON.valueToTree(value);
        for (JsonNode group : http.get("/fleet/views/" + view).json().get("groups")) {
            if (expected.equals(group.get("value"))) {
                return group.get("count").asLong();
            }
        }
        return 0;
    }
}
