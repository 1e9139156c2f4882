package io.twinplatform.deploy;

import com.zaxxer.hikari.HikariDataSource;
import io.twinplatform.deploy.TwinHttp.Reply;
import io.twinplatform.deploy.database.EmbeddedDatabase;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import javax.sql.DataSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With {@code spring.datasource.url} set, the platform uses that PostgreSQL (here the machine's, on 127.0.0.1:5432,
 * in a database created for this test and dropped after) and starts no embedded one. Skipped where no PostgreSQL
 * listens there. User and password: {@code TWIN_TEST_PG_USER} / {@code TWIN_TEST_PG_PASSWORD}, default postgres
 * with no password.
 */
class ExternalPostgresTest {

    private static final String HOST = "127.0.0.1";
    private static final int PORT = 5432;
    private static final String USER = setting("TWIN_TEST_PG_USER", "postgres");
    private static final String PASSWORD = setting("TWIN_TEST_PG_PASSWORD", "");

    private static String setting(String name, String otherwise) {
        String value = System.getenv(name);
        return value == null ? otherwise : value;
    }

    private static boolean reachable() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, PORT), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void admin(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(
                "jdbc:postgresql://" + HOST + ":" + PORT + "/postgres", USER, PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    @Test
    void theLifecycleWorksOnAnExternalPostgres() throws Exception {
        assumeTrue(reachable(), "no PostgreSQL on " + HOST + ":" + PORT);
        String database = "twin_it_" + UUID.randomUUID().toString().replace("-", "");
        admin("CREATE DATABASE " + database);
        Path dataDir = TestDataDirs.fresh();
        try (ConfigurableApplicationContext app = RestartKeepsTwinsTest.start(dataDir,
                "spring.datasource.url=jdbc:postgresql://" + HOST + ":" + PORT + "/" + database,
                "spring.datasource.username=" + USER,
                "spring.datasource.password=" + PASSWORD)) {
            assertThat(app.getBeansOfType(EmbeddedDatabase.class)).as("no embedded PostgreSQL").isEmpty();
            assertThat(Files.exists(dataDir.resolve("postgres"))).isFalse();

            TwinHttp http = RestartKeepsTwinsTest.client(app);
            String device = "/twins/" + TwinHttp.newDeviceId();
            Reply created = http.put(device, q("{'tags':{'site':'x'},'properties':{'desired':{'interval':30}}}"));
            assertThat(created.status()).as("%s", created).isEqualTo(201);
            assertThat(created.etag()).isEqualTo("\"1\"");
            Reply reported = http.patch(device + "/properties/reported", q("{'interval':60}"));
            assertThat(reported.json().path("delta")).isEqualTo(TwinHttp.j("{'interval':30}"));
            assertThat(http.get(device).json()).isEqualTo(reported.json());
            assertThat(http.put(device + "/modules/m", q("{}")).status()).isEqualTo(201);
            assertProblem(http.delete(device), 409, "deviceHasModules");
            assertThat(http.delete(device + "/modules/m").status()).isEqualTo(204);
            assertProblem(http.patch(device, q("{'tags':{'site':'y'}}"), "If-Match", "\"1\""), 412, "etagMismatch");
            assertThat(http.delete(device).status()).isEqualTo(204);
            assertProblem(http.get(device), 404, "twinNotFound");
            Reply again = http.put(device, q("{}"));
            assertThat(again.status()).isEqualTo(201);
            assertThat(again.version()).isEqualTo(4);
            assertThat(http.get("/actuator/health").json().path("status").asText()).isEqualTo("UP");

            // The configured database gets the same waits as the embedded one (a frozen server fails fast).
            HikariDataSource pool = app.getBean(DataSource.class).unwrap(HikariDataSource.class);
            assertThat(pool.getConnectionTimeout()).isEqualTo(3000);
            assertThat(pool.getDataSourceProperties()).containsEntry("socketTimeout", "10")
                    .containsEntry("connectTimeout", "5");
            try (Connection connection = app.getBean(DataSource.class).getConnection()) {
                assertThat(connection.getNetworkTimeout()).as("outside a request: background-timeout")
                        .isEqualTo(600_000);
            }
        } finally {
            admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            TestDataDirs.delete(dataDir);
        }
    }
}
