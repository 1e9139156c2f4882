package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Zero-touch provisioning: a device an enrollment group takes gets its twin from the group when it first connects
 * with its key, with the group as principal, and the configurations that target the group's tags reach it at once.
 * Connecting again changes nothing; a disabled group refuses new devices; a wrong key creates nothing.
 */
class ProvisioningTest extends DeviceChannelTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aNewDeviceOfAGroupGetsItsTwinAndTheConfigurationsThatTargetItsTags() {
        String site = "site-" + UUID.randomUUID().toString().substring(0, 8);
        String prefix = site + "-dev-";
        TwinHttp.Reply configuration = http.put("/configurations/" + site + "-interval", "{\"targetCondition\":"
                + "\"tags.site='" + site + "'\",\"priority\":10,\"content\":{\"deviceContent\":"
                + "{\"properties.desired.reportEvery\":30}}}");
        assertThat(configuration.status()).as("%s", configuration).isEqualTo(201);
        TwinHttp.Reply created = http.put("/enrollments/" + site, q("{'deviceIdPattern':'" + prefix + "*',"
                + "'initialTwin':{'tags':{'site':'" + site + "','deviceType':'thermostat'},"
                + "'properties':{'desired':{'mode':'eco'}}}}"));
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.json().get("provisioningStatus").asText()).isEqualTo("enabled");

        String id = prefix + "0001";
        try (MqttDevice device = device(id)) {
            device.publish("get", q("{'clientToken':'first'}"));
            JsonNode twin = device.await("get/accepted");
            assertThat(twin.get("tags").get("site").asText()).isEqualTo(site);
            assertThat(twin.get("properties").get("desired").get("mode").asText()).isEqualTo("eco");
        }
        JsonNode configured = http.awaitJson("/twins/" + id, t -> t.path("properties").path("desired")
                .path("reportEvery").asInt() == 30, WAIT);
        assertThat(configured.get("configurations").has(site + "-interval")).isTrue();
        JsonNode history = http.awaitHistory("/twins/" + id + "/history", 2);
        JsonNode first = history.get("items").get(history.get("items").size() - 1);
        assertThat(first.get("eventType").asText()).isEqualTo("TwinCreated");
        assertThat(first.get("principal").asText()).isEqualTo("enrollment:" + site);
        assertThat(first.get("reason").asText()).contains(site);

        long version = configured.get("version").asLong();
        try (MqttDevice again = device(id)) {
            again.publish("get", "");
            assertThat(again.await("get/accepted").get("version").asLong()).as("connecting again creates nothing")
                    .isEqualTo(version);
        }
    }

    @Test
    void aDisabledGroupRefusesNewDevicesAndAWrongKeyCreatesNothing() {
        String group = "grp-" + UUID.randomUUID().toString().substring(0, 8);
        String listed = group + "-listed";
        String other = group + "-other";
        assertThat(http.put("/enrollments/" + group, q("{'deviceIds':['" + listed + "','" + other + "'],"
                + "'initialTwin':{'tags':{'group':'" + group + "'}}}")).status()).isEqualTo(201);

        assertThat(refusal(listed, broker.deviceKeys().password(other))).as("another device's key")
                .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD);
        assertThat(http.get("/twins/" + listed).status()).as("a wrong key creates no twin").isEqualTo(404);

        try (MqttDevice device = device(listed)) {
            device.publish("get", "");
            assertThat(device.await("get/accepted").get("tags").get("group").asText()).isEqualTo(group);
        }
        String etag = http.get("/enrollments/" + group).json().get("etag").asText();
        TwinHttp.assertProblem(http.put("/enrollments/" + group, q("{'deviceIds':['" + listed + "'],"
                + "'provisioningStatus':'disabled'}"), "If-Match", "\"99\""), 412, "etagMismatch");
        TwinHttp.Reply disabled = http.put("/enrollments/" + group, q("{'deviceIds':['" + listed + "','" + other
                + "'],'provisioningStatus':'disabled'}"), "If-Match", etag);
        assertThat(disabled.status()).as("%s", disabled).isEqualTo(200);

        assertThat(refusal(other, broker.deviceKeys().password(other))).as("a new device of a disabled group")
                .isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED);
        assertThat(http.get("/twins/" + other).status()).isEqualTo(404);
        assertThat(refusal(listed, broker.deviceKeys().password(listed))).as("a device it provisioned before")
                .isNull();

        assertThat(http.delete("/enrollments/" + group).status()).isEqualTo(204);
        TwinHttp.assertProblem(http.get("/enrollments/" + group), 404, "enrollmentNotFound");
        assertThat(refusal(other, broker.deviceKeys().password(other))).as("no group: let in, as before")
                .isNull();
        assertThat(http.get("/twins/" + other).status()).as("and no twin").isEqualTo(404);
    }

    @Test
    void aBadEnrollmentIsRefusedWithItsPathAndNothingIsStored() {
        String id = "bad-" + UUID.randomUUID().toString().substring(0, 8);
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'initialTwin':{}}")), 400, "invalidEnrollment");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIds':['a'],'deviceIdPattern':'a*'}")), 400,
                "invalidEnrollment");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIds':[]}")), 400, "invalidEnrollment");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIds':['a/b']}")), 400, "invalidId");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIds':[7]}")), 400, "invalidId");
        StringBuilder many = new StringBuilder("{\"deviceIds\":[");
        for (int i = 0; i <= 1000; i++) {
            many.append(i == 0 ? "" : ",").append("\"d").append(i).append('"');
        }
        TwinHttp.assertProblem(http.put("/enrollments/" + id, many.append("]}").toString()), 400,
                "invalidEnrollment");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIdPattern':'a*','initialTwin':[1]}")),
                400, "notAnObject");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIdPattern':'a b*'}")), 400, "invalidPattern");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIdPattern':'a*',"
                + "'initialTwin':{'tags':{'bad key':1}}}")), 400, "invalidKey");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIdPattern':'a*',"
                + "'provisioningStatus':'paused'}")), 400, "invalidStatus");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, "{\"deviceIdPattern\":\"a\\u0000*\"}"), 400,
                "invalidText");
        TwinHttp.assertProblem(http.put("/enrollments/" + id, q("{'deviceIdPattern':'a*'}"), "If-Match", "\"1\""),
                412, "etagMismatch");
        TwinHttp.assertProblem(http.get("/enrollments/" + id), 404, "enrollmentNotFound");
    }
}
