package io.twinplatform.deploy.database;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.twinplatform.api.model.DaemonThreads;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;

/**
 * The {@code db} health component (in place of Spring Boot's, which waits as long as the database does): UP when
 * PostgreSQL confirms a connection within {@code twin.database.health-timeout} (default 800 ms), DOWN otherwise, so
 * that {@code /actuator/health} and the readiness group answer within a second and say DOWN while the database is
 * frozen or gone. Liveness does not include it: restarting the JVM does not help a database that does not answer.
 * <p>
 * The check runs on its own thread over its own single connection (a one-connection pool with the platform pool's
 * settings), so a busy platform pool does not make the database look down and a frozen database holds no request
 * thread. While a check is still waiting, later calls answer DOWN at once instead of starting another; the next
 * call after it ends starts a fresh one, so health turns UP again on its own once the database answers.
 */
@Component("dbHealthIndicator")
class DatabaseHealthIndicator implements HealthIndicator, DisposableBean {

    private final DataSource probe;
    private final HikariDataSource ownPool;
    private final long timeoutNanos;
    private final ExecutorService checker;
    private Future<Health> check;
    private long checkStarted;

    DatabaseHealthIndicator(DataSource dataSource, DatabaseSettings settings) throws SQLException {
        this.timeoutNanos = settings.healthTimeout().toNanos();
        ThreadFactory threads = DaemonThreads.named("db-health-");
        this.checker = Executors.newSingleThreadExecutor(threads);
        if (dataSource.isWrapperFor(HikariDataSource.class)) {
            HikariDataSource pool = dataSource.unwrap(HikariDataSource.class);
            HikariConfig config = new HikariConfig();
            pool.copyStateTo(config);
            config.setPoolName((pool.getPoolName() == null ? "twin" : pool.getPoolName()) + "-health");
            config.setMaximumPoolSize(1);
            config.setMinimumIdle(1);
            // Starts without the database (health says DOWN until it answers); gives up on a connection after 2 s.
            config.setInitializationFailTimeout(-1);
            config.setConnectionTimeout(2000);
            config.setValidationTimeout(1000);
            this.ownPool = new HikariDataSource(config);
            this.probe = ownPool;
        } else {
            this.ownPool = null;
            this.probe = dataSource;
        }
    }

    @Override
    public Health health() {
        Future<Health> running;
        long started;
        synchronized (this) {
            if (check == null || check.isDone()) {
                checkStarted = System.nanoTime();
                check = checker.submit(this::check);
            }
            running = check;
            started = checkStarted;
        }
        try {
            return running.get(Math.max(0, started + timeoutNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return Health.down().withDetail("error", "the database did not answer within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms").build();
        } catch (ExecutionException e) {
            return Health.down(e.getCause()).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.unknown().build();
        }
    }

    private Health check() {
        try (Connection connection = probe.getConnection()) {
            if (connection.isValid(1)) {
                return Health.up().withDetail("database", connection.getMetaData().getDatabaseProductName())
                        .withDetail("validationQuery", "isValid()").build();
            }
            return Health.down().withDetail("error", "the database did not confirm the connection").build();
        } catch (SQLException e) {
            return Health.down(e).build();
        }
    }

    @Override
    public void destroy() {
        checker.shutdownNow();
        if (ownPool != null) {
            ownPool.close();
        }
    }
}
