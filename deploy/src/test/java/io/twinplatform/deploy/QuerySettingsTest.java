package io.twinplatform.deploy;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Operator settings that cannot work stop the platform's start with a message naming them: the read side's
 * ({@code twin.query.indexed-fields}, {@code twin.query.views}; what each does is twin-query's own test) and the
 * history side's storage dialect.
 */
class QuerySettingsTest {

    @Test
    void settingsThatCannotWorkStopTheStart() {
        Path dataDir = TestDataDirs.fresh();
        try {
            // The read side's settings reach it from the platform's properties (each refusal: twin-query's tests).
            assertThat(startFailure(dataDir, "twin.query.indexed-fields=tag.x")).contains("is not a field");
            assertThat(startFailure(dataDir, "twin.query.views[0].name=v", "twin.query.views[0].group-by=status",
                    "twin.query.views[0].source=cars")).contains("devices or devices.modules");
            // The history side's storage: a dialect that does not exist, or TimescaleDB where it is not installed.
            assertThat(startFailure(dataDir, "twin.history.dialect=oracle")).contains("auto, native or timescale");
            assertThat(startFailure(dataDir, "twin.history.dialect=timescale"))
                    .contains("timescaledb extension is not installed");
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    private static String startFailure(Path dataDir, String... properties) {
        Throwable failure = catchThrowable(() -> RestartKeepsTwinsTest.start(dataDir, properties).close());
        assertThat(failure).as("start with %s", List.of(properties)).isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }
}
