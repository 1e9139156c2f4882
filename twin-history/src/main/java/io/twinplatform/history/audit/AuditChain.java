package io.twinplatform.history.audit;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Appends one link to {@code event_chain} for every stored event, in its own tracking processor
 * ({@value #GROUP}, one thread): per batch it reads the events' stored rows in one query, hashes each onto the
 * previous link, and inserts the links in the batch's transaction. Events already chained (a redelivery) are
 * skipped.
 */
@Component
@ProcessingGroup(AuditChain.GROUP)
class AuditChain {

    static final String GROUP = "audit-chain";
    private static final String BATCH = AuditChain.class.getName() + ".batch";

    private final JdbcTemplate jdbc;

    AuditChain(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @EventHandler
    void on(EventMessage<?> event, TrackingToken token) {
        UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get().root();
        List<Long> batch = unitOfWork.getOrComputeResource(BATCH, key -> {
            List<Long> indexes = new ArrayList<>();
            unitOfWork.onPrepareCommit(u -> append(indexes));
            return indexes;
        });
        token.position().ifPresent(batch::add);
    }

    private void append(List<Long> indexes) {
        List<Long> fresh = new ArrayList<>(jdbc.query(connection -> {
            PreparedStatement select = connection.prepareStatement("""
                    SELECT i FROM unnest(?::bigint[]) AS i
                    WHERE NOT EXISTS (SELECT 1 FROM event_chain c WHERE c.global_index = i)""");
            select.setArray(1, connection.createArrayOf("bigint", indexes.toArray()));
            return select;
        }, (rs, n) -> rs.getLong(1)));
        if (fresh.isEmpty()) {
            return;
        }
        Map<Long, StoredEvent> events = new TreeMap<>();
        jdbc.query(connection -> {
            PreparedStatement select = connection.prepareStatement("SELECT " + StoredEvent.COLUMNS
                    + " FROM domain_event_entry WHERE global_index = ANY (?)");
            select.setArray(1, connection.createArrayOf("bigint", fresh.toArray()));
            return select;
        }, rs -> {
            StoredEvent event = StoredEvent.read(rs);
            events.put(event.globalIndex(), event);
        });
        List<Map<String, Object>> head = jdbc.queryForList(
                "SELECT position, hash FROM event_chain ORDER BY position DESC LIMIT 1");
        long position = head.isEmpty() ? 0 : ((Number) head.get(0).get("position")).longValue();
        String hash = head.isEmpty() ? StoredEvent.ZERO : (String) head.get(0).get("hash");
        List<Object[]> links = new ArrayList<>();
        // The order the processor delivered them: the index order, except where a gap filled late.
        for (Long index : indexes) {
            StoredEvent event = events.remove(index);
            if (event == null) {
                continue;
            }
            hash = event.chain(hash);
            links.add(new Object[]{++position, event.globalIndex(), event.eventId(), event.aggregateId(), hash});
        }
        jdbc.batchUpdate("INSERT INTO event_chain (position, global_index, event_id, twin_id, hash) VALUES (?, ?, ?, ?, ?)",
                links);
    }
}
