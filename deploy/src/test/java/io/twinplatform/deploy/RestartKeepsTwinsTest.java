package io.twinplatform.deploy;

import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The platform keeps its twins in its data directory: stopped and started again on the same directory, it shows
 * the same documents, versions and etags, and further writes continue each twin's version sequence.
 */
class RestartKeepsTwinsTest {

    /** Starts the platform; properties are command-line arguments, so they win over application.yml. */
    static ConfigurableApplicationContext start(Path dataDir, String... more) {
        String[] arguments = new String[more.length + 2];
        arguments[0] = "--server.port=0";
        arguments[1] = "--twin.data-dir=" + dataDir;
        for (int i = 0; i < more.length; i++) {
            arguments[i + 2] = "--" + more[i];
        }
        return new SpringApplicationBuilder(TwinPlatformApplication.class).run(arguments);
    }

    static TwinHttp client(ConfigurableApplicationContext app) {
        return new TwinHttp(app.getEnvironment().getRequiredProperty("local.server.port", Integer.class),
                Path.of(app.getEnvironment().getRequiredProperty("twin.data-dir")));
    }

    @Test
    void twinsSurviveARestart() {
        Path dataDir = TestDataDirs.fresh();
        String devicePath = "/twins/" + TwinHttp.newDeviceId();
        String modulePath = devicePath + "/modules/agent";
        String deleted = "/twins/" + TwinHttp.newDeviceId();

        try {
            restartOn(dataDir, devicePath, modulePath, deleted);
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    private void restartOn(Path dataDir, String devicePath, String modulePath, String deleted) {
        Reply deviceBefore;
        Reply moduleBefore;
        try (ConfigurableApplicationContext app = start(dataDir)) {
            TwinHttp http = client(app);
            assertThat(http.put(devicePath, q("{'tags':{'site':'a'},'properties':{'desired':{'fan':1}}}")).status())
                    .isEqualTo(201);
            http.patch(devicePath, q("{'properties':{'desired':{'fan':2}}}"));
            http.patch(devicePath + "/properties/reported", q("{'fan':1}"), "Idempotency-Key", "boot-1");
            assertThat(http.put(modulePath, q("{'properties':{'desired':{'rate':5}}}")).status()).isEqualTo(201);
            http.patch(modulePath + "/properties/reported", q("{'rate':5}"));
            assertThat(http.put(deleted, q("{}")).status()).isEqualTo(201);
            assertThat(http.delete(deleted).status()).isEqualTo(204);
            deviceBefore = http.get(devicePath);
            moduleBefore = http.get(modulePath);
            assertThat(deviceBefore.version()).isEqualTo(3);
            assertThat(moduleBefore.version()).isEqualTo(2);
        }
        assertThat(Files.isDirectory(dataDir.resolve("postgres"))).isTrue();

        try (ConfigurableApplicationContext app = start(dataDir)) {
            TwinHttp http = client(app);
            Reply deviceAfter = http.get(devicePath);
            Reply moduleAfter = http.get(modulePath);
            assertThat(deviceAfter.status()).isEqualTo(200);
            assertThat(deviceAfter.etag()).isEqualTo(deviceBefore.etag());
            assertThat(deviceAfter.json()).isEqualTo(deviceBefore.json());
            assertThat(moduleAfter.etag()).isEqualTo(moduleBefore.etag());
            assertThat(moduleAfter.json()).isEqualTo(moduleBefore.json());
            TwinHttp.assertProblem(http.get(deleted), 404, "twinNotFound");

            // Etags and idempotency keys issued before the restart still count.
            assertThat(http.patch(devicePath, q("{'tags':{'site':'b'}}"), "If-Match", deviceBefore.etag()).status())
                    .isEqualTo(200);
            Reply retried = http.patch(devicePath + "/properties/reported", q("{'fan':1}"), "Idempotency-Key", "boot-1");
            assertThat(retried.version()).isEqualTo(4);
            Reply moduleWrite = http.patch(modulePath, q("{'properties':{'desired':{'rate':6}}}"));
            assertThat(moduleWrite.version()).isEqualTo(3);
            assertThat(http.get(modulePath).json()).isEqualTo(moduleWrite.json());
            Reply recreated = http.put(deleted, q("{}"));
            assertThat(recreated.status()).isEqualTo(201);
            assertThat(recreated.version()).isEqualTo(3);
        }
    }
}
