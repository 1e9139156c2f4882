package io.twinplatform.history.telemetry;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The wire form of {@code twins/{deviceId}/telemetry/rejected}: what devices and docs/devices.md rely on. */
class TelemetrySubscriberTest {

    @Test
    void aRejectionIsTheProblemDocumentWithTheTopicTheMessageCameOn() {
        TwinError error = TwinError.at(ErrorKind.MALFORMED, "invalidTimestamp", "$.ts",
                "ts is an ISO-8601 instant such as 2026-11-24T03:12:00Z, or epoch milliseconds");

        assertThat(TelemetrySubscriber.rejection(error, "twins/d1/telemetry").toString()).isEqualTo("""
                {"type":"urn:twin-platform:problem:invalidTimestamp","title":"Malformed request","status":400,\
                "detail":"ts is an ISO-8601 instant such as 2026-11-24T03:12:00Z, or epoch milliseconds",\
                "code":"invalidTimestamp","path":"$.ts",\
                "instance":"twins/d1/telemetry"}""");
    }

    @Test
    void anUnknownTwinsRejectionHasNoPath() {
        TwinError error = TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "twin d9 does not exist");

        assertThat(TelemetrySubscriber.rejection(error, "twins/d9/telemetry").toString()).isEqualTo("""
                {"type":"urn:twin-platform:problem:twinNotFound","title":"Not found","status":404,\
                "detail":"twin d9 does not exist","code":"twinNotFound",\
                "instance":"twins/d9/telemetry"}""");
    }
}
