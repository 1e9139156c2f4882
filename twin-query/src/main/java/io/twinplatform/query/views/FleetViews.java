package io.twinplatform.query.views;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.Field;
import io.twinplatform.api.query.QueryEvaluator;
import io.twinplatform.api.query.Source;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.query.TwinQuerySettings;
import io.twinplatform.query.fleet.CompiledQuery;
import io.twinplatform.query.fleet.DocumentColumns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Fleet views: for each configured view, how many live twins hold each value of one field. The counts live in
 * {@code fleet_view_count} and change only inside the twin-current projection's transactions ({@link #count}),
 * so they always agree with {@code twin_document}. At start-up a view that is new or whose definition changed
 * is recounted from {@code twin_document} under a share lock (writers wait; readers do not); a view no longer
 * configured is dropped.
 */
@Component
public class FleetViews implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(FleetViews.class);

    /** One view, parsed. */
    public record Definition(String name, Field groupBy, Source source, String groupByText) {
    }

    /** A twin's group in one view: the field's value, or undefined. */
    public record Key(boolean defined, JsonNode value) {
    }

    /** A view's counts, largest group first. */
    public record Counts(Definition definition, long total, List<Group> groups) {
    }

    public record Group(Key key, long count) {
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final ObjectMapper mapper;
    private final List<Definition> definitions;

    FleetViews(JdbcTemplate jdbc, PlatformTransactionManager transactions, ObjectMapper mapper,
               TwinQuerySettings settings) {
        this.jdbc = jdbc;
        this.transaction = new TransactionTemplate(transactions);
        this.mapper = mapper;
        this.definitions = parse(settings.views());
    }

    private static List<Definition> parse(List<TwinQuerySettings.View> views) {
        List<Definition> definitions = new ArrayList<>();
        for (TwinQuerySettings.View view : views) {
            if (view.name() == null || !view.name().matches("[A-Za-z0-9_.-]{1,128}")) {
                throw new IllegalStateException("twin.query.views: a view's name is 1 to 128 letters, digits, "
                        + "'_', '.' or '-'; got " + view.name());
            }
            if (definitions.stream().anyMatch(d -> d.name().equals(view.name()))) {
                throw new IllegalStateException("twin.query.views: two views are named " + view.name());
            }
            Field field;
            try {
                field = TwinQuery.parseField(view.groupBy());
            } catch (TwinException e) {
                throw new IllegalStateException("twin.query.views: view " + view.name() + " groups by '"
                        + view.groupBy() + "', which is not a field: " + e.getMessage(), e);
            }
            if (field.isComputed()) {
                // Counted from the twin documents as they change; computed values change apart from them.
                throw new IllegalStateException("twin.query.views: view " + view.name() + " groups by a computed"
                        + " attribute, which the views cannot follow: group by its alert (alerts.<name>.side), or"
                        + " count its values with POST /query (… GROUP BY computed.<name>)");
            }
            Source source = view.source() == null || view.source().equals("devices") ? Source.DEVICES
                    : view.source().equals("devices.modules") ? Source.MODULES : null;
            if (source == null) {
                throw new IllegalStateException("twin.query.views: view " + view.name()
                        + " has source " + view.source() + "; it is devices or devices.modules");
            }
            definitions.add(new Definition(view.name(), field, source, view.groupBy()));
        }
        return List.copyOf(definitions);
    }

    public boolean enabled() {
        return !definitions.isEmpty();
    }

    /** The twin's group in each view, in definition order; {@code null} where the view counts the other source. */
    public List<Key> keys(ObjectNode document) {
        boolean module = document.hasNonNull("moduleId");
        List<Key> keys = new ArrayList<>(definitions.size());
        for (Definition definition : definitions) {
            if (module != (definition.source() == Source.MODULES)) {
                keys.add(null);
                continue;
            }
            JsonNode value = QueryEvaluator.value(definition.groupBy(), document);
            keys.add(value == null ? new Key(false, NullNode.getInstance()) : new Key(true, canonical(value)));
        }
        return keys;
    }

    /**
     * Moves each changed twin from its group before to its group after, in the caller's transaction. A twin that
     * did not exist (or was deleted) has no keys on that side.
     */
    public void count(Map<String, List<Key>> before, Map<String, List<Key>> after) {
        // Sorted so that concurrent batches lock the count rows in one order and never deadlock.
        Map<String, Object[]> deltas = new TreeMap<>();
        for (String twinId : union(before, after)) {
            List<Key> old = before.get(twinId);
            List<Key> now = after.get(twinId);
            for (int i = 0; i < definitions.size(); i++) {
                Key from = old == null ? null : old.get(i);
                Key to = now == null ? null : now.get(i);
                if (from != null && from.equals(to)) {
                    continue;
                }
                add(deltas, definitions.get(i).name(), from, -1);
                add(deltas, definitions.get(i).name(), to, +1);
            }
        }
        List<Object[]> rows = deltas.values().stream().filter(row -> (long) row[3] != 0).toList();
        if (!rows.isEmpty()) {
            jdbc.batchUpdate("""
                    INSERT INTO fleet_view_count (view_name, defined, group_key, count) VALUES (?, ?, ?::jsonb, ?)
                    ON CONFLICT (view_name, defined, group_key)
                    DO UPDATE SET count = fleet_view_count.count + EXCLUDED.count""", rows);
        }
    }

    /** Numbers by value (1 and 1.0 are one group, as in the database); everything else as it is. */
    private static JsonNode canonical(JsonNode value) {
        if (value.isNumber()) {
            return DecimalNode.valueOf(value.decimalValue().stripTrailingZeros());
        }
        return value.deepCopy();
    }

    private static List<String> union(Map<String, List<Key>> before, Map<String, List<Key>> after) {
        List<String> ids = new ArrayList<>(before.keySet());
        after.keySet().stream().filter(id -> !before.containsKey(id)).forEach(ids::add);
        return ids;
    }

    private static void add(Map<String, Object[]> deltas, String view, Key key, long change) {
        if (key == null) {
            return;
        }
        String json = key.value().toString();
        Object[] row = deltas.computeIfAbsent(view + '\u0000' + key.defined() + '\u0000' + json,
                k -> new Object[]{view, key.defined(), json, 0L});
        row[3] = (long) row[3] + change;
    }

    /** Every count to zero: the projection is being rebuilt from the events. */
    public void clear() {
        jdbc.update("DELETE FROM fleet_view_count");
    }

    public List<Definition> definitions() {
        return definitions;
    }

    public Optional<Counts> counts(String name) {
        return definitions.stream().filter(d -> d.name().equals(name)).findFirst().map(this::counts);
    }

    public List<Counts> counts() {
        return definitions.stream().map(this::counts).toList();
    }

    private Counts counts(Definition definition) {
        List<Group> groups = jdbc.query("""
                        SELECT defined, group_key::text, count FROM fleet_view_count
                        WHERE view_name = ? AND count > 0""",
                (rs, n) -> new Group(new Key(rs.getBoolean(1), parse(rs.getString(2))), rs.getLong(3)),
                definition.name());
        return counts(definition, groups);
    }

    /** A view's counts from its groups, in the order views answer: largest first, undefined after defined. */
    static Counts counts(Definition definition, List<Group> groups) {
        List<Group> sorted = new ArrayList<>(groups);
        sorted.sort(Comparator.comparingLong(Group::count).reversed()
                .thenComparing(g -> !g.key().defined())
                .thenComparing(g -> g.key().value().toString()));
        long total = sorted.stream().mapToLong(Group::count).sum();
        return new Counts(definition, total, sorted);
    }

    /** Recounts the views whose definitions are new or changed, and drops the ones no longer configured. */
    @Override
    public void afterSingletonsInstantiated() {
        transaction.executeWithoutResult(status -> {
            Map<String, String> stored = new HashMap<>();
            jdbc.query("SELECT view_name, source, group_by FROM fleet_view_definition",
                    rs -> {
                        stored.put(rs.getString(1), rs.getString(2) + " " + rs.getString(3));
                    });
            Map<String, Definition> wanted = new LinkedHashMap<>();
            definitions.forEach(d -> wanted.put(d.name(), d));
            List<Definition> recount = definitions.stream()
                    .filter(d -> !(d.source().text() + " " + d.groupByText()).equals(stored.get(d.name())))
                    .toList();
            List<String> dropped = stored.keySet().stream().filter(name -> !wanted.containsKey(name)).toList();
            if (recount.isEmpty() && dropped.isEmpty()) {
                return;
            }
            jdbc.execute("LOCK TABLE twin_document IN SHARE MODE");
            for (String name : dropped) {
                jdbc.update("DELETE FROM fleet_view_count WHERE view_name = ?", name);
                jdbc.update("DELETE FROM fleet_view_definition WHERE view_name = ?", name);
                log.info("fleet view {} is no longer configured; its counts are dropped", name);
            }
            for (Definition definition : recount) {
                recount(definition);
            }
        });
    }

    private void recount(Definition definition) {
        jdbc.update("DELETE FROM fleet_view_count WHERE view_name = ?", definition.name());
        List<Object> params = new ArrayList<>();
        String value = DocumentColumns.value(definition.groupBy(), param -> {
            params.add(param);
            return "?";
        });
        int inserted = jdbc.update(connection -> {
            PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO fleet_view_count (view_name, defined, group_key, count)
                    SELECT ?, v IS NOT NULL, COALESCE(v, 'null'::jsonb), count(*)
                    FROM (SELECT %s AS v FROM twin_document WHERE NOT deleted AND module_id IS %s) t
                    GROUP BY 2, 3""".formatted(value, definition.source() == Source.MODULES ? "NOT NULL" : "NULL"));
            insert.setString(1, definition.name());
            CompiledQuery.bind(connection, insert, 2, params);
            return insert;
        });
        jdbc.update("""
                INSERT INTO fleet_view_definition (view_name, source, group_by) VALUES (?, ?, ?)
                ON CONFLICT (view_name) DO UPDATE SET source = EXCLUDED.source, group_by = EXCLUDED.group_by""",
                definition.name(), definition.source().text(), definition.groupByText());
        log.info("fleet view {} (group by {} over {}) counted from the current twins: {} groups",
                definition.name(), definition.groupByText(), definition.source().text(), inserted);
    }

    private JsonNode parse(String json) {
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("fleet_view_count holds invalid JSON", e);
        }
    }

    /** A refusal for an unknown view name. */
    static TwinException unknown(String name) {
        return new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "viewNotFound", "there is no fleet view named "
                + name + "; GET /fleet/views lists them"));
    }
}
