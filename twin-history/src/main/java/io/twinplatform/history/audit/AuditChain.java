package io.twinplatform.history.audit;

import io.twinplatform.history.PlannedPerCall;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.DisallowReplay;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Appends one link to {@code event_chain} for every stored event, in its own tracking processor
 * ({@value #GROUP}, one thread): per batch it reads the events' stored rows in one query (by event identifier),
 * hashes each onto the previous link in delivery order (form 2, the stored bytes: {@link StoredEvent#link}), and
 * inserts the links in the batch's transaction. Events already chained (a redelivery) are skipped. The chain is
 * append-only: its processor refuses a reset ({@link DisallowReplay}), so no replay of it can ever be started.
 */
@Component
@ProcessingGroup(AuditChain.GROUP)
@DisallowReplay
public class AuditChain {

    public static final String GROUP = "audit-chain";
    private static final String BATCH = AuditChain.class.getName() + ".batch";

    private final JdbcTemplate jdbc;

    AuditChain(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Collects the batch's event identifiers in delivery order. (Not the token's position: for an event that fills
     * a gap late, the token already stands at a higher index.)
     */
    @EventHandler
    void on(EventMessage<?> event) {
        UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get().root();
        List<String> batch = unitOfWork.getOrComputeResource(BATCH, key -> {
            List<String> ids = new ArrayList<>();
            unitOfWork.onPrepareCommit(u -> append(ids));
            return ids;
        });
        batch.add(event.getIdentifier());
    }

    private void append(List<String> eventIds) {
        // The links and the token commit together: a crash loses the last batches whole, and they are chained again.
        jdbc.execute("SET LOCAL synchronous_commit = off");
        Map<String, StoredEvent> events = new HashMap<>();
        jdbc.query(connection -> {
            PreparedStatement select = PlannedPerCall.prepare(connection, "SELECT " + StoredEvent.COLUMNS
                    + " FROM domain_event_entry e WHERE event_identifier = ANY (?)"
                    + " AND NOT EXISTS (SELECT 1 FROM event_chain c WHERE c.event_id = e.event_identifier)");
            select.setArray(1, connection.createArrayOf("varchar", eventIds.toArray()));
            return select;
        }, rs -> {
            StoredEvent event = StoredEvent.read(rs);
            events.put(event.eventId(), event);
        });
        if (events.isEmpty()) {
            return;
        }
        List<Map<String, Object>> head = jdbc.queryForList(
                "SELECT position, hash FROM event_chain ORDER BY position DESC LIMIT 1");
        long position = head.isEmpty() ? 0 : ((Number) head.get(0).get("position")).longValue();
        String hash = head.isEmpty() ? StoredEvent.ZERO : (String) head.get(0).get("hash");
        List<Object[]> links = new ArrayList<>();
        for (String eventId : eventIds) {
            StoredEvent event = events.remove(eventId);
            if (event == null) {
                continue;
            }
            hash = event.link(hash);
            links.add(new Object[]{++position, event.globalIndex(), event.eventId(), event.aggregateId(), hash});
        }
        jdbc.batchUpdate("INSERT INTO event_chain (position, global_index, event_id, twin_id, hash, form)"
                + " VALUES (?, ?, ?, ?, ?, 2)", links);
    }
}
