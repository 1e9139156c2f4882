package io.twinplatform.deploy.eventstore;

import io.twinplatform.deploy.eventstore.TwinEventStorageEngine;
import org.axonframework.common.DateTimeUtils;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stored event time is read as Axon's own parser reads it, whatever the text. */
class TwinEventStorageEngineTest {

    @Test
    void readsEveryTimeAxonWritesAsAxonReadsIt() {
        SplittableRandom random = new SplittableRandom(17);
        long from = Instant.parse("0001-01-01T00:00:00Z").toEpochMilli();
        long to = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();
        for (int i = 0; i < 100_000; i++) {
            Instant instant = Instant.ofEpochMilli(random.nextLong(from, to));
            String stored = DateTimeUtils.formatInstant(instant);
            assertThat(TwinEventStorageEngine.parse(stored)).as(stored).isEqualTo(DateTimeUtils.parseInstant(stored))
                    .isEqualTo(instant);
        }
        for (String edge : new String[]{"2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00.000Z",
                "2026-12-31T00:00:00.001Z", "2000-03-01T12:00:00.500Z"}) {
            assertThat(TwinEventStorageEngine.parse(edge)).isEqualTo(Instant.parse(edge));
        }
    }

    @Test
    void leavesOtherFormsToAxonsParser() {
        for (String other : new String[]{"2026-12-06T16:58:00.123+01:00", "2026-12-06T16:58:00Z",
                "2026-12-06T16:58:00.123456Z", "+12026-12-06T16:58:00.123Z"}) {
            assertThat(TwinEventStorageEngine.parse(other)).as(other).isEqualTo(DateTimeUtils.parseInstant(other));
        }
        assertThat(TwinEventStorageEngine.parse("2026-12-06T16:58:00.123+01:00"))
                .isEqualTo(Instant.parse("2026-12-06T15:58:00.123Z"));
        assertThat(TwinEventStorageEngine.parse("2026-12-06T16:58:00.123456Z").truncatedTo(ChronoUnit.MILLIS))
                .isEqualTo(Instant.parse("2026-12-06T16:58:00.123Z"));
    }

    @Test
    void refusesWhatAxonsParserRefuses() {
        for (String bad : new String[]{"2026-02-30T00:00:00.000Z", "2026-13-01T00:00:00.000Z",
                "2026-12-06T24:00:00.000Z", "2026-12-06T16:60:00.000Z", "2026-12-06T16:58:0x.000Z", "yesterday"}) {
            assertThatThrownBy(() -> DateTimeUtils.parseInstant(bad)).as(bad)
                    .isInstanceOf(DateTimeParseException.class);
            assertThatThrownBy(() -> TwinEventStorageEngine.parse(bad)).as(bad)
                    .isInstanceOf(DateTimeParseException.class);
        }
    }
}
