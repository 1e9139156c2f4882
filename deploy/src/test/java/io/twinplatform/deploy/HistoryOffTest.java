package io.twinplatform.deploy;

import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.time.Instant;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process that does not run the history side ({@code twin.history.enabled=false}) still serves current twins,
 * and says plainly that it cannot read one as it was.
 */
class HistoryOffTest {

    @Test
    void pointInTimeReadsNeedTheHistorySide() {
        Path dataDir = TestDataDirs.fresh();
        try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir, "twin.history.enabled=false")) {
            TwinHttp http = RestartKeepsTwinsTest.client(app);
            assertThat(http.put("/twins/d1", q("{'tags':{'a':1}}")).status()).isEqualTo(201);
            assertThat(http.get("/twins/d1").status()).isEqualTo(200);
            TwinHttp.assertProblem(http.get("/twins/d1?atVersion=1"), 422, "pointInTimeNotAvailable");
            TwinHttp.assertProblem(http.get("/twins/d1?asOf=2026-01-01T00:00:00Z"), 422, "pointInTimeNotAvailable");
            assertThat(http.get("/twins/d1/history").status()).isEqualTo(404);
            TwinHttp.assertProblem(http.post("/query", "{\"query\":\"SELECT * FROM devices\",\"asOf\":\""
                    + Instant.now() + "\"}"), 422, "pointInTimeNotAvailable");
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }
}
