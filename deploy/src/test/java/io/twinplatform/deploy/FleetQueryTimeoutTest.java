package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.twinplatform.deploy.TwinHttp.JSON;
import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A fleet query that runs longer than {@code twin.query.statement-timeout} is cancelled and answered
 * {@code 422 queryTimeout}. Its own platform (own data directory) with a 1 ms timeout, so that any query doing real
 * work over a few hundred twins exceeds it.
 */
class FleetQueryTimeoutTest {

    @Test
    void aQueryOverTheStatementTimeoutIsCancelled() throws Exception {
        Path dataDir = TestDataDirs.fresh();
        // Command-line arguments: they outrank application.yml (server.port: ${SERVER_PORT:8080}).
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(TwinPlatformApplication.class)
                .run("--server.port=0", "--twin.data-dir=" + dataDir, "--twin.query.statement-timeout=1ms")) {
            TwinHttp http = RestartKeepsTwinsTest.client(app);
            createTwins(http, 200);

            // About 8 KB of conditions, none of which holds, each reading a field of every twin.
            StringBuilder condition = new StringBuilder("CONTAINS(tags.k0, 'zz')");
            int i = 1;
            String start = "SELECT deviceId FROM devices WHERE ";
            while (true) {
                String next = " OR CONTAINS(tags.k" + (i % 40) + ", 'zz" + i + "')";
                if (start.length() + condition.length() + next.length() > TwinQuery.MAX_LENGTH) {
                    break;
                }
                condition.append(next);
                i++;
            }
            String heavy = start + condition;
            for (int attempt = 0; attempt < 3; attempt++) {
                ObjectNode body = JSON.createObjectNode().put("query", heavy).put("pageSize", 1000);
                Reply reply = http.post("/query", body);
                JsonNode problem = assertProblem(reply, 422, "queryTimeout");
                assertThat(problem.path("detail").asText()).contains("1 ms");
            }
            // The cancelled statement left nothing broken behind: the platform reads and writes as before.
            assertThat(http.get("/twins/timeout-0").status()).isEqualTo(200);
            assertThat(http.put("/twins/timeout-after", JSON.createObjectNode()).status()).isEqualTo(201);
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    private static void createTwins(TwinHttp http, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Integer>> writes = new ArrayList<>();
            for (int n = 0; n < count; n++) {
                int number = n;
                writes.add(pool.submit(() -> {
                    ObjectNode tags = JSON.createObjectNode();
                    for (int k = 0; k < 40; k++) {
                        tags.put("k" + k, "value-" + number + "-" + k + "-" + "x".repeat(20));
                    }
                    ObjectNode body = JSON.createObjectNode();
                    body.set("tags", tags);
                    return http.put("/twins/timeout-" + number, body).status();
                }));
            }
            for (Future<Integer> write : writes) {
                assertThat(write.get(120, TimeUnit.SECONDS)).isEqualTo(201);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
