package io.twinplatform.api.device;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.twin.TwinId;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The wire form of {@code …/rejected}: what devices and docs/devices.md rely on, for every kind alike. */
class DeviceRepliesTest {

    @Test
    void aRejectionIsTheProblemDocumentWithTheTopicTheMessageCameOn() {
        TwinError error = TwinError.at(ErrorKind.MALFORMED, "invalidTimestamp", "$.ts",
                "ts is an ISO-8601 instant such as 2026-11-24T03:12:00Z, or epoch milliseconds");

        assertThat(DeviceReplies.rejection(error, topic("d1", "telemetry"), null).toString()).isEqualTo("""
                {"type":"urn:twin-platform:problem:invalidTimestamp","title":"Malformed request","status":400,\
                "detail":"ts is an ISO-8601 instant such as 2026-11-24T03:12:00Z, or epoch milliseconds",\
                "code":"invalidTimestamp","path":"$.ts",\
                "instance":"twins/d1/telemetry"}""");
    }

    @Test
    void anUnknownTwinsRejectionHasNoPath() {
        TwinError error = TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "twin d9 does not exist");

        assertThat(DeviceReplies.rejection(error, topic("d9", "telemetry"), null).toString()).isEqualTo("""
                {"type":"urn:twin-platform:problem:twinNotFound","title":"Not found","status":404,\
                "detail":"twin d9 does not exist","code":"twinNotFound",\
                "instance":"twins/d9/telemetry"}""");
    }

    @Test
    void aReportsRejectionEchoesItsClientTokenAndGoesToItsOwnRejectedTopic() {
        TwinError error = TwinError.of(ErrorKind.PRECONDITION_FAILED, "versionConflict", "stale");
        TwinTopic reported = new TwinTopic(TwinId.module("d1", "m1"), "reported");
        StringBuilder sent = new StringBuilder();
        DeviceReplies replies = (topic, body) -> {
            sent.append(topic.text()).append(' ').append(body.path("clientToken").asText()).append(' ')
                    .append(body.path("instance").asText());
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        };

        replies.reject(reported, error, "t-7").join();

        assertThat(sent).hasToString("twins/d1/modules/m1/reported/rejected t-7 twins/d1/modules/m1/reported");
    }

    private static TwinTopic topic(String device, String kind) {
        return new TwinTopic(TwinId.device(device), kind);
    }
}
