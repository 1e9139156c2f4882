package io.twinplatform.history.telemetry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What a device's telemetry message stores: every numeric member, nested names joined with dots, at {@code ts} or
 * the receipt; and each payload that cannot be stored, refused whole with the problem the device is sent.
 */
class TelemetryPayloadTest {

    private static final Instant RECEIVED = Instant.parse("2026-11-24T10:00:00.123456Z");

    @Test
    void flattensNestedObjectsWithDotsAndIgnoresWhatIsNotANumber() {
        List<TelemetrySample> samples = parse("""
                {"temperature":21.5,"env":{"humidity":40,"air":{"co2":410,"ok":true}},"label":"kitchen",
                 "on":true,"list":[1,2],"none":null,"big":12345678901234,"negative":-0.25}""");

        assertThat(samples).containsExactly(
                new TelemetrySample("d1", RECEIVED, "temperature", 21.5),
                new TelemetrySample("d1", RECEIVED, "env.humidity", 40),
                new TelemetrySample("d1", RECEIVED, "env.air.co2", 410),
                new TelemetrySample("d1", RECEIVED, "big", 12345678901234d),
                new TelemetrySample("d1", RECEIVED, "negative", -0.25));
    }

    @Test
    void takesTheTimeFromAnIsoTs() {
        assertThat(parse("{\"ts\":\"2026-11-24T09:59:58.5Z\",\"t\":1}")).extracting(TelemetrySample::ts)
                .containsExactly(Instant.parse("2026-11-24T09:59:58.5Z"));
        assertThat(parse("{\"ts\":\"2026-11-24T10:59:58+01:00\",\"t\":1}")).extracting(TelemetrySample::ts)
                .containsExactly(Instant.parse("2026-11-24T09:59:58Z"));
    }

    @Test
    void takesTheTimeFromEpochMillisecondsAndNeverStoresTopLevelTsAsAMeasurement() {
        long millis = Instant.parse("2026-11-24T09:00:00.250Z").toEpochMilli();

        List<TelemetrySample> samples = parse("{\"ts\":" + millis + ",\"t\":1,\"env\":{\"ts\":7}}");

        assertThat(samples).containsExactly(
                new TelemetrySample("d1", Instant.ofEpochMilli(millis), "t", 1),
                new TelemetrySample("d1", Instant.ofEpochMilli(millis), "env.ts", 7));
    }

    @Test
    void withoutTsTheSamplesAreAtTheReceipt() {
        assertThat(parse("{\"t\":1}").get(0).ts()).isEqualTo(RECEIVED);
    }

    @Test
    void acceptsAHundredMeasurementsAndNamesOf128Characters() {
        assertThat(parse(object(100))).hasSize(100);
        String name = "n".repeat(60) + "." + "m".repeat(67);
        assertThat(parse("{\"" + "n".repeat(60) + "\":{\"" + "m".repeat(67) + "\":1}}"))
                .extracting(TelemetrySample::name).containsExactly(name);
    }

    @Test
    void refusesWhatIsNotJson() {
        TwinError error = refused("{\"t\":1");
        assertThat(error.code()).isEqualTo("malformedJson");
        assertThat(error.kind().status()).isEqualTo(400);
        assertThat(error.toProblem().has("position")).isTrue();

        assertThat(refused("").code()).isEqualTo("emptyBody");
        assertThat(refused("{\"t\":1,\"t\":2}").code()).isEqualTo("malformedJson");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,2]", "21.5", "\"t\"", "null"})
    void refusesJsonThatIsNotAnObject(String payload) {
        TwinError error = refused(payload);

        assertThat(error.code()).isEqualTo("notAnObject");
        assertThat(error.kind().status()).isEqualTo(400);
        assertThat(error.path()).isEqualTo("$");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"label\":\"x\",\"on\":true,\"list\":[1],\"none\":null,\"env\":{}}",
            "{\"ts\":1764000000000}"})
    void refusesAMessageWithoutANumericMember(String payload) {
        assertRefused(payload, "noMeasurements", 422, "$");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"yesterday\"", "\"2026-11-24\"", "\"2026-11-24T10:00:00\"", "true", "1.5",
            "17640000000000000000000", "{\"at\":1}", "[1]", "null", "\"-999999999-01-01T00:00:00Z\"",
            "\"0000-12-31T23:59:59Z\"", "-9223372036854775808", "-62135596800001"})
    void refusesATsThatIsNotAnInstant(String ts) {
        assertRefused("{\"ts\":" + ts + ",\"t\":1}", "invalidTimestamp", 400, "$.ts");
    }

    @Test
    void refusesATsMoreThanAnHourAhead() {
        assertThat(parse("{\"ts\":\"2026-11-24T11:00:00.123456Z\",\"t\":1}")).hasSize(1);
        assertRefused("{\"ts\":\"2026-11-24T11:00:00.123457Z\",\"t\":1}", "timestampInFuture", 422, "$.ts");
        assertRefused("{\"ts\":" + Long.MAX_VALUE + ",\"t\":1}", "timestampInFuture", 422, "$.ts");
    }

    @Test
    void refusesMoreThanAHundredMeasurements() {
        assertRefused(object(101), "tooManyMeasurements", 422, "$");
    }

    @Test
    void refusesANameLongerThan128CharactersAtItsPath() {
        assertRefused("{\"" + "n".repeat(129) + "\":1}", "invalidMeasurementName", 422, "$." + "n".repeat(129));
        assertRefused("{\"env\":{\"" + "m".repeat(125) + "\":1}}", "invalidMeasurementName", 422,
                "$.env." + "m".repeat(125));
    }

    @Test
    void refusesAnEmptyName() {
        assertRefused("{\"env\":{\"\":1}}", "invalidMeasurementName", 422, "$.env['']");
    }

    @Test
    void refusesTwoMembersThatFlattenToOneName() {
        assertRefused("{\"env.t\":1,\"env\":{\"t\":2}}", "duplicateMeasurement", 422, "$.env.t");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e999", "-1e999"})
    void refusesANumberBeyondADouble(String number) {
        assertRefused("{\"t\":1,\"env\":{\"x\":" + number + "}}", "nonFiniteNumber", 422, "$.env.x");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.0000001e300", "-1.0000001e300", "1.7976931348623157e308"})
    void refusesANumberBeyondAMagnitudeOf1e300(String number) {
        assertThat(parse("{\"x\":1e300,\"y\":-1e300}")).hasSize(2);
        assertRefused("{\"x\":" + number + "}", "numberOutOfRange", 422, "$.x");
    }

    @Test
    void refusesAnIntegerBeyondADouble() {
        assertRefused("{\"x\":1" + "0".repeat(400) + "}", "nonFiniteNumber", 422, "$.x");
    }

    @Test
    void theRefusalIsTheProblemDocumentWithItsPath() {
        ObjectNode problem = refused("{\"ts\":\"soon\",\"t\":1}").toProblem();

        assertThat(problem.toString()).isEqualTo("{\"type\":\"urn:twin-platform:problem:invalidTimestamp\","
                + "\"title\":\"Malformed request\",\"status\":400,\"detail\":\"ts is an ISO-8601 instant such as"
                + " 2026-11-24T03:12:00Z, or epoch milliseconds, from the year 0001 to 9999\",\"code\":\"invalidTimestamp\",\"path\":\"$.ts\"}");
    }

    private static List<TelemetrySample> parse(String payload) {
        return TelemetryPayload.parse("d1", payload.getBytes(StandardCharsets.UTF_8), RECEIVED);
    }

    private static TwinError refused(String payload) {
        TwinException refusal = catchThrowableOfType(TwinException.class, () -> parse(payload));
        assertThat(refusal).as("refused: %s", payload).isNotNull();
        return refusal.error();
    }

    private static void assertRefused(String payload, String code, int status, String path) {
        TwinError error = refused(payload);
        assertThat(error.code()).as("%s", error).isEqualTo(code);
        assertThat(error.kind().status()).as("%s", error).isEqualTo(status);
        assertThat(error.path()).as("%s", error).isEqualTo(path);
    }

    private static String object(int members) {
        return IntStream.range(0, members).mapToObj(i -> "\"m" + i + "\":" + i)
                .collect(Collectors.joining(",", "{", "}"));
    }
}
