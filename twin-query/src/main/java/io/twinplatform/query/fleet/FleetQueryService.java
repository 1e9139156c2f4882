package io.twinplatform.query.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.history.FindHistoryHorizon;
import io.twinplatform.api.history.HistoryHorizon;
import io.twinplatform.api.query.FindTargetedTwins;
import io.twinplatform.api.query.RunTwinQuery;
import io.twinplatform.api.query.SelectItem;
import io.twinplatform.api.query.Source;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.query.TwinQuerySettings;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs fleet queries against the current-state projection: parse, compile, execute in a read-only transaction
 * under the statement timeout, and page with a keyset cursor.
 */
@Service
public class FleetQueryService {

    /** How much longer than its statement timeout a fleet query waits for the server to say anything. */
    private static final Duration NETWORK_MARGIN = Duration.ofSeconds(5);

    private final JdbcTemplate jdbc;
    private final TransactionTemplate readOnly;
    private final ObjectMapper mapper;
    private final TwinQuerySettings settings;
    private final QueryGateway queries;

    FleetQueryService(JdbcTemplate jdbc, PlatformTransactionManager transactions, ObjectMapper mapper,
                      TwinQuerySettings settings, QueryGateway queries) {
        this.jdbc = jdbc;
        this.queries = queries;
        this.readOnly = new TransactionTemplate(transactions);
        this.readOnly.setReadOnly(true);
        this.mapper = mapper;
        this.settings = settings;
    }

    @QueryHandler
    public TwinQueryPage handle(RunTwinQuery request) {
        return run(request.query(), request.pageSize(), request.continuationToken(), request.asOf());
    }

    /** Ids of the current twins a target condition selects, a page at a time. */
    @QueryHandler
    public TwinQueryPage handle(FindTargetedTwins request) {
        TwinQuery target = TwinQuery.parseTargetCondition(request.targetCondition());
        TwinQuery ids = new TwinQuery(target.text(), List.of(selected("deviceId"), selected("moduleId")), null,
                request.modules() ? Source.MODULES : Source.DEVICES, target.where(), List.of(), List.of());
        return run(ids, request.pageSize(), request.continuationToken(), null, FindTargetedTwins.MAX_PAGE_SIZE);
    }

    private static SelectItem selected(String field) {
        return new SelectItem(TwinQuery.parseField(field), null, field);
    }

    /** @param asOf the instant whose fleet to query, or {@code null} for the current twins */
    public TwinQueryPage run(String text, Integer pageSize, String continuationToken, Instant asOf) {
        return run(TwinQuery.parse(text), pageSize, continuationToken, asOf);
    }

    TwinQueryPage run(TwinQuery query, Integer pageSize, String continuationToken, Instant asOf) {
        return run(query, pageSize, continuationToken, asOf, RunTwinQuery.MAX_PAGE_SIZE);
    }

    private TwinQueryPage run(TwinQuery query, Integer pageSize, String continuationToken, Instant asOf,
                              int maxPageSize) {
        int size = pageSize == null ? RunTwinQuery.DEFAULT_PAGE_SIZE : pageSize;
        if (size < 1 || size > maxPageSize) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidPageSize", "$.pageSize",
                    "pageSize is between 1 and " + maxPageSize + "; it was " + size));
        }
        if (asOf != null) {
            query.firstComputed().ifPresent(field -> {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "computedNotAsOf", "$.asOf",
                        "computed attributes are kept as they are now, not as of a past instant: " + field
                                + " (at position " + field.position() + ") cannot be read with asOf"));
            });
        }
        PastFleet past = asOf == null ? null : pastFleet(asOf);
        // A token continues the same query over the same fleet: the instant is part of what it is bound to.
        String bound = asOf == null ? query.text() : query.text() + "\u0000asOf=" + asOf;
        List<String> cursorTypes = QueryCompiler.cursorTypes(query);
        ContinuationToken after = continuationToken == null ? null
                : ContinuationToken.decode(continuationToken, bound, cursorTypes);
        long returned = after == null ? 0 : after.returned();
        int limit = size;
        if (query.top() != null) {
            limit = (int) Math.min(size, query.top() - returned);
            if (limit <= 0) {
                return new TwinQueryPage(List.of(), null);
            }
        }
        CompiledQuery compiled = QueryCompiler.compile(query, past, after == null ? null : after.cursor(), limit + 1);
        List<Row> rows = execute(compiled, past == null ? settings.statementTimeout() : settings.pastStatementTimeout());
        boolean more = rows.size() > limit;
        List<ObjectNode> items = new ArrayList<>(Math.min(rows.size(), limit));
        for (int i = 0; i < Math.min(rows.size(), limit); i++) {
            items.add(item(query, rows.get(i).outputs()));
        }
        String token = null;
        boolean topReached = query.top() != null && returned + items.size() >= query.top();
        if (more && !topReached && !cursorTypes.isEmpty()) {
            List<JsonNode> cursor = rows.get(limit - 1).cursor();
            token = new ContinuationToken(bound, returned + items.size(), cursor).encode();
        }
        return new TwinQueryPage(items, token);
    }

    private record Row(List<String> outputs, List<JsonNode> cursor) {
    }

    /** Where the fleet at {@code asOf} is read from, as the history side answers; 422 when it cannot answer. */
    private PastFleet pastFleet(Instant asOf) {
        HistoryHorizon horizon;
        try {
            horizon = queries.query(new FindHistoryHorizon(), ResponseTypes.instanceOf(HistoryHorizon.class)).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof NoHandlerForQueryException) {
                throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "pointInTimeNotAvailable", "$.asOf",
                        "querying the fleet as it was needs the history side (twin.history.enabled), which this"
                                + " deployment does not run"));
            }
            throw e;
        }
        if (asOf.isBefore(horizon.oldest())) {
            throw new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, "asOfBeyondRetention", "$.asOf",
                    "the history table answers fleet queries back to " + horizon.oldest() + " (its retention); "
                            + asOf + " is older. Single twins are still readable then: GET /twins/{id}?asOf="));
        }
        return new PastFleet(horizon.fleetFunction(), asOf);
    }

    private List<Row> execute(CompiledQuery compiled, Duration timeout) {
        try {
            return readOnly.execute(status -> {
                // The server answers within the statement timeout (the result, or the cancellation): the connection
                // may stay silent that long, plus a margin, whatever shorter wait the caller's thread has (an HTTP
                // request's twin.database.request-timeout). The pool restores the connection's own wait afterwards.
                jdbc.execute((ConnectionCallback<Void>) connection -> {
                    connection.setNetworkTimeout(Runnable::run,
                            (int) Math.min(Integer.MAX_VALUE, timeout.plus(NETWORK_MARGIN).toMillis()));
                    return null;
                });
                // A plan made for these literals: a generic plan (which the driver's server-side prepared
                // statements would get after five runs) cannot see how selective a containment test is and may
                // walk the whole primary key instead of asking the GIN index.
                jdbc.query("SELECT set_config('statement_timeout', ?, true),"
                                + " set_config('plan_cache_mode', 'force_custom_plan', true)", rs -> {
                        }, timeout.toMillis() + "ms");
                return jdbc.query(connection -> prepare(connection, compiled), (rs, n) -> row(rs, compiled));
            });
        } catch (DataAccessException e) {
            if (e.getMostSpecificCause() instanceof SQLException sql && "57014".equals(sql.getSQLState())) {
                throw new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE, "queryTimeout",
                        "the query ran longer than " + timeout.toMillis()
                                + " ms and was cancelled; narrow it with WHERE, or page with a smaller pageSize"));
            }
            throw e;
        }
    }

    private static PreparedStatement prepare(Connection connection, CompiledQuery compiled) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(compiled.sql());
        CompiledQuery.bind(connection, statement, 1, compiled.params());
        return statement;
    }

    private Row row(ResultSet rs, CompiledQuery compiled) throws SQLException {
        List<String> outputs = new ArrayList<>(compiled.outputs());
        for (int i = 1; i <= compiled.outputs(); i++) {
            outputs.add(rs.getString(i));
        }
        List<JsonNode> cursor = new ArrayList<>(compiled.keys());
        for (int i = compiled.outputs() + 1; i <= compiled.outputs() + compiled.keys(); i++) {
            Object value = rs.getObject(i);
            if (value instanceof Boolean flag) {
                cursor.add(mapper.getNodeFactory().booleanNode(flag));
            } else if (value instanceof Integer number) {
                cursor.add(mapper.getNodeFactory().numberNode(number));
            } else if (value instanceof String text) {
                cursor.add(mapper.getNodeFactory().textNode(text));
            } else {
                cursor.add(exact(rs.getString(i)));
            }
        }
        return new Row(outputs, cursor);
    }

    private ObjectNode item(TwinQuery query, List<String> outputs) {
        if (query.selectsWholeTwins()) {
            return (ObjectNode) parse(outputs.get(0));
        }
        ObjectNode item = mapper.createObjectNode();
        for (int i = 0; i < query.select().size(); i++) {
            SelectItem selected = query.select().get(i);
            String value = outputs.get(i);
            if (value != null) {
                item.set(selected.key(), parse(value));
            }
        }
        return item;
    }

    private static JsonNode exact(String json) {
        try {
            return ContinuationToken.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("PostgreSQL returned invalid JSON", e);
        }
    }

    private JsonNode parse(String json) {
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("PostgreSQL returned invalid JSON", e);
        }
    }
}
