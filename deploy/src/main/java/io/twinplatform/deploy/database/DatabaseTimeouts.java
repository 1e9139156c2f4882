package io.twinplatform.deploy.database;

import io.twinplatform.command.dispatch.RequestContextCarrier;
import io.twinplatform.deploy.http.ProblemResponses;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.PathContainer;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Bounds every wait on PostgreSQL by who waits ({@link DatabaseSettings}): each connection the pool hands out gets a
 * network timeout (the longest the driver waits for the server to say anything), short on an HTTP request's thread
 * so that a frozen database fails the request within seconds, long everywhere else so that a legitimately long
 * statement of a processor, a replay or a migration is not cut off. The pool puts the connection's own timeout back
 * when it is returned. Applies to whichever {@code DataSource} the platform runs on (embedded or configured).
 * <p>
 * Failure modes: when the timeout strikes, the driver closes the connection and the caller gets an
 * {@link SQLException} (SQL state {@code 08006}), which {@link ProblemResponses} answers {@code 503}; a statement
 * the server had already received (a commit above all) may still complete once the server runs again.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(DatabaseSettings.class)
public class DatabaseTimeouts {

    /** The network timeout (ms) for connections taken on this thread; none outside an HTTP request. */
    static final ThreadLocal<Integer> REQUEST_TIMEOUT = new ThreadLocal<>();
    /** pgjdbc ignores the executor; the pool's proxy passes it on. */
    private static final Executor DIRECT = Runnable::run;

    @Bean
    static BeanPostProcessor timedConnections(ObjectProvider<DatabaseSettings> settings) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                return bean instanceof DataSource dataSource && !(bean instanceof TimedDataSource)
                        ? new TimedDataSource(dataSource, settings) : bean;
            }
        };
    }

    /** Marks a request's thread for the short timeout, unless its path is one of the long requests. */
    @Bean
    OncePerRequestFilter requestDatabaseTimeout(DatabaseSettings settings) {
        List<PathPattern> longRequests = settings.longRequests().stream()
                .map(PathPatternParser.defaultInstance::parse).toList();
        int requestMillis = (int) settings.requestTimeout().toMillis();
        int backgroundMillis = (int) settings.backgroundTimeout().toMillis();
        return new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                PathContainer path = PathContainer.parsePath(
                        request.getRequestURI().substring(request.getContextPath().length()));
                boolean longRequest = longRequests.stream().anyMatch(pattern -> pattern.matches(path));
                REQUEST_TIMEOUT.set(longRequest ? backgroundMillis : requestMillis);
                try {
                    chain.doFilter(request, response);
                } finally {
                    REQUEST_TIMEOUT.remove();
                }
            }
        };
    }

    /**
     * The items of a batch request run on the batch API's own threads, and twin commands on the group commit's
     * lanes: each gets the timeout of the request that handed it over (or of the batch thread that did, for an item
     * that waited on an earlier item of its twin), and the thread gets its own back afterwards. A group commit of
     * commands from requests and from elsewhere runs with the first request's timeout.
     */
    @Bean
    RequestContextCarrier requestTimeoutCarrier() {
        return new RequestContextCarrier() {
            @Override
            public Runnable carry(Runnable task) {
                Integer timeout = REQUEST_TIMEOUT.get();
                return () -> {
                    Integer own = REQUEST_TIMEOUT.get();
                    set(timeout);
                    try {
                        task.run();
                    } finally {
                        set(own);
                    }
                };
            }

            @Override
            public boolean active() {
                return REQUEST_TIMEOUT.get() != null;
            }
        };
    }

    private static void set(Integer timeout) {
        if (timeout == null) {
            REQUEST_TIMEOUT.remove();
        } else {
            REQUEST_TIMEOUT.set(timeout);
        }
    }

    /** The platform's {@code DataSource}: the pool's, with each connection's network timeout set as it is taken. */
    static final class TimedDataSource extends DelegatingDataSource {

        private final ObjectProvider<DatabaseSettings> settings;
        private volatile int backgroundMillis;

        TimedDataSource(DataSource pool, ObjectProvider<DatabaseSettings> settings) {
            super(pool);
            this.settings = settings;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return timed(super.getConnection());
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return timed(super.getConnection(username, password));
        }

        private Connection timed(Connection connection) throws SQLException {
            Integer request = REQUEST_TIMEOUT.get();
            try {
                connection.setNetworkTimeout(DIRECT, request != null ? request : background());
            } catch (SQLException | RuntimeException e) {
                connection.close();
                throw e;
            }
            return connection;
        }

        private int background() {
            int millis = backgroundMillis;
            if (millis == 0) {
                millis = (int) settings.getObject().backgroundTimeout().toMillis();
                backgroundMillis = millis;
            }
            return millis;
        }
    }
}
