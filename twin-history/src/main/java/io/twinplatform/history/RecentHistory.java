package io.twinplatform.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.history.FindRecentHistory;
import io.twinplatform.api.model.TwinJson;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.util.List;

/**
 * Answers {@link FindRecentHistory}: a twin's latest changes in a window, listed as {@code GET /twins/{id}/history}
 * lists them, for the one read of a twin with its recent past ({@code GET /twins/{id}?include=history}).
 */
@Component
class RecentHistory {

    private static final ObjectMapper MAPPER = TwinJson.newMapper();

    private final JdbcTemplate jdbc;

    RecentHistory(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @QueryHandler
    ObjectNode recent(FindRecentHistory query) {
        List<ObjectNode> items = jdbc.query("SELECT " + HistoryItems.COLUMNS + " FROM twin_history h"
                        + " WHERE h.twin_id = ? AND h.time >= ? ORDER BY h.version DESC LIMIT ?",
                (rs, n) -> HistoryItems.read(rs, MAPPER), query.twinId(), Timestamp.from(query.from()),
                query.limit() + 1);
        ObjectNode answer = MAPPER.createObjectNode();
        ArrayNode list = answer.putArray("items");
        items.stream().limit(query.limit()).forEach(list::add);
        answer.put("more", items.size() > query.limit());
        return answer;
    }
}
