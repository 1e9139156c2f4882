package io.twinplatform.history.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code GET /twins/{deviceId}/telemetry/samples} against a real PostgreSQL: raw samples in (ts, name) order, keyset
 * pages that neither skip nor repeat a sample, and each parameter it refuses, at that parameter, before it looks
 * for the twin.
 */
class TelemetrySamplesTest {

    private static final Instant NOW = Instant.parse("2026-11-24T10:03:20Z");

    private final TelemetryDatabase db = TelemetryDatabase.fresh();
    private final TelemetryStore store = new TelemetryStore(db.jdbc,
            db.telemetryTable(TelemetrySettings.defaults(), Clock.fixed(NOW, ZoneOffset.UTC)), db.transaction);
    private final TelemetryController controller = new TelemetryController(db.jdbc, store, new ObjectMapper(),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void answersTheSamplesInTimeThenNameOrderAPageAtATimeWithoutGapsOrRepeats() {
        db.event("d1", "TwinCreated");
        store.record(List.of(
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:00:02Z"), "temperature", 21),
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:00:01Z"), "temperature", 20.5),
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:00:01Z"), "humidity", 40),
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:00:03.5Z"), "temperature", 22),
                new TelemetrySample("d1", Instant.parse("2026-11-24T09:00:03.5Z"), "humidity", 41),
                new TelemetrySample("d1", Instant.parse("2026-11-24T08:59:59Z"), "temperature", 99),
                new TelemetrySample("d2", Instant.parse("2026-11-24T09:00:01Z"), "temperature", 98)));

        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            JsonNode page = controller.samples("d1", null, "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z", null, "2",
                    after);
            assertThat(page.get("deviceId").asText()).isEqualTo("d1");
            page.get("items").forEach(item -> seen.add(item.get("ts").asText() + " " + item.get("name").asText() + " "
                    + item.get("value").asDouble()));
            after = page.get("next").isNull() ? null : page.get("next").asText();
            pages++;
        } while (after != null);

        assertThat(seen).containsExactly(
                "2026-11-24T09:00:01Z humidity 40.0",
                "2026-11-24T09:00:01Z temperature 20.5",
                "2026-11-24T09:00:02Z temperature 21.0",
                "2026-11-24T09:00:03.500Z humidity 41.0",
                "2026-11-24T09:00:03.500Z temperature 22.0");
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void namesSelectMeasurementsAndTheDefaultRangeIsTheLast24Hours() {
        db.event("d1", "TwinCreated");
        store.record(List.of(new TelemetrySample("d1", NOW.minusSeconds(10), "temperature", 1),
                new TelemetrySample("d1", NOW.minusSeconds(10), "humidity", 2),
                new TelemetrySample("d1", NOW.minusSeconds(25 * 3600), "temperature", 3)));

        JsonNode page = controller.samples("d1", null, null, null, List.of("temperature"), "1000", null);

        assertThat(page.get("items")).hasSize(1);
        assertThat(page.get("items").get(0).get("value").asDouble()).isEqualTo(1);
        assertThat(page.get("next").isNull()).isTrue();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "limit | 0",
            "limit | 10001",
            "limit | many",
            "after | not-a-cursor",
            "names | ''",
            "from  | yesterday",
            "to    | 2026-13-01T00:00:00Z",
    })
    void refusesABadParameterAtItsNameBeforeLookingForTheTwin(String parameter, String value) {
        Runnable call = switch (parameter) {
            case "limit" -> () -> controller.samples("ghost", null, null, null, null, value, null);
            case "after" -> () -> controller.samples("ghost", null, null, null, null, "10", value);
            case "names" -> () -> controller.samples("ghost", null, null, null, List.of("a", value), "10", null);
            case "from" -> () -> controller.samples("ghost", null, value, null, null, "10", null);
            default -> () -> controller.samples("ghost", null, null, value, null, "10", null);
        };
        TwinException refusal = catchThrowableOfType(TwinException.class, call::run);
        assertThat(refusal).as("refused").isNotNull();
        TwinError error = refusal.error();
        assertThat(error.code()).as("%s", error).isEqualTo("invalidParameter");
        assertThat(error.kind().status()).isEqualTo(400);
        assertThat(error.path()).isEqualTo(parameter);
    }

    @Test
    void anUnknownTwinIsNotFound() {
        TwinException refusal = catchThrowableOfType(TwinException.class,
                () -> controller.samples("ghost", null, null, null, null, "10", null));
        assertThat(refusal.error().code()).isEqualTo("twinNotFound");
    }
}
