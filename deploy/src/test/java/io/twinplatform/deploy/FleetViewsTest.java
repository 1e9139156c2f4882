package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fleet views count live twins per value of a field as twins are created, changed and deleted, agree with the
 * same count made by a fleet query scan, and are recounted when their definition changes between runs.
 */
class FleetViewsTest extends PlatformTestSupport {

    @Test
    void countsFollowCreatesChangesAndDeletes() {
        String typeA = "type-" + newDeviceId();
        String typeB = "type-" + newDeviceId();
        long disabledBefore = count("status", "disabled");
        String first = createDevice("{'tags':{'deviceType':'" + typeA + "'}}");
        String second = createDevice("{'tags':{'deviceType':'" + typeA + "'}}");
        String third = createDevice("{'tags':{'deviceType':'" + typeA + "'}}");
        // A module twin is not a device: the default views count devices only.
        assertThat(http.put("/twins/" + first + "/modules/m", q("{'tags':{'deviceType':'" + typeA + "'}}")).status())
                .isEqualTo(201);
        assertThat(count("deviceType", typeA)).isEqualTo(3);

        http.patch("/twins/" + second, q("{'tags':{'deviceType':'" + typeB + "'}}"));
        assertThat(count("deviceType", typeA)).isEqualTo(2);
        assertThat(count("deviceType", typeB)).isEqualTo(1);

        http.put("/twins/" + third + "/status", q("{'status':'disabled'}"));
        assertThat(count("status", "disabled")).isEqualTo(disabledBefore + 1);

        assertThat(http.delete("/twins/" + third).status()).isEqualTo(204);
        assertThat(count("deviceType", typeA)).isEqualTo(1);
        assertThat(count("status", "disabled")).isEqualTo(disabledBefore);
    }

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
    void viewsAgreeWithAScanOfTheFleet() {
        createDevice("{'tags':{'deviceType':null}}");
        createDevice("{'tags':{'deviceType':{'nested':true}}}");
        createDevice("{'tags':{'deviceType':5}}");
        for (String[] view : new String[][]{{"deviceType", "tags.deviceType"}, {"status", "status"},
                {"inSync", "inSync"}, {"firmware", "properties.reported.firmware.version"}}) {
            Map<String, Long> scanned = new HashMap<>();
            String query = "SELECT " + view[1] + " AS v, COUNT() AS n FROM devices GROUP BY " + view[1];
            String token = null;
            do {
                Reply page = http.post("/query", TwinHttp.JSON.createObjectNode().put("query", query)
                        .put("continuationToken", token).toString());
                assertThat(page.status()).as("%s", page).isEqualTo(200);
                page.json().get("items").forEach(group -> scanned.put(
                        group.has("v") ? group.get("v").toString() : "undefined", group.get("n").asLong()));
                token = page.json().get("continuationToken").isNull() ? null
                        : page.json().get("continuationToken").asText();
            } while (token != null);
            Map<String, Long> counted = new HashMap<>();
            JsonNode body = http.get("/fleet/views/" + view[0]).json();
            body.get("groups").forEach(group -> counted.put(
                    group.has("value") ? group.get("value").toString() : "undefined", group.get("count").asLong()));
            assertThat(counted).as("view %s", view[0]).isEqualTo(scanned);
            assertThat(body.get("total").asLong()).isEqualTo(scanned.values().stream().mapToLong(Long::longValue).sum());
        }
    }

    @Test
    void listsEveryViewAndRefusesAnUnknownOne() {
        JsonNode all = http.get("/fleet/views").json();
        assertThat(all.get("views")).extracting(view -> view.get("name").asText())
                .containsExactly("status", "connectionState", "deviceType", "firmware", "inSync",
                        "invalidStateTransition");
        TwinHttp.assertProblem(http.get("/fleet/views/nope"), 404, "viewNotFound");
    }

    @Test
    void aChangedDefinitionIsRecountedAtStartUp() {
        Path dataDir = TestDataDirs.fresh();
        try {
            try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir,
                    "twin.query.views[0].name=sites", "twin.query.views[0].group-by=tags.site")) {
                TwinHttp client = RestartKeepsTwinsTest.client(app);
                client.put("/twins/a", q("{'tags':{'site':'north','zone':'1'}}"));
                client.put("/twins/b", q("{'tags':{'site':'north','zone':'2'}}"));
                client.put("/twins/c", q("{'tags':{'site':'south','zone':'2'}}"));
                assertThat(groups(client, "sites")).containsEntry("\"north\"", 2L).containsEntry("\"south\"", 1L);
            }
            try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir,
                    "twin.query.views[0].name=sites", "twin.query.views[0].group-by=tags.zone")) {
                TwinHttp client = RestartKeepsTwinsTest.client(app);
                assertThat(groups(client, "sites")).isEqualTo(Map.of("\"1\"", 1L, "\"2\"", 2L));
                client.delete("/twins/b");
                assertThat(groups(client, "sites")).isEqualTo(Map.of("\"1\"", 1L, "\"2\"", 1L));
            }
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    private static Map<String, Long> groups(TwinHttp client, String view) {
        Map<String, Long> groups = new HashMap<>();
        client.get("/fleet/views/" + view).json().get("groups").forEach(group -> groups.put(
                group.has("value") ? group.get("value").toString() : "undefined", group.get("count").asLong()));
        return groups;
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
