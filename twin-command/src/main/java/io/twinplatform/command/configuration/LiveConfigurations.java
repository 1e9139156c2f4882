package io.twinplatform.command.configuration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.configuration.Admission;
import io.twinplatform.api.model.JsonText;
import io.twinplatform.api.configuration.ConfigurationCandidate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The configurations the applier has seen created and not deleted, in {@code configuration_live}. Written only by
 * the applier, inside its event-processing transactions; read back whole (there are tens, not thousands), and kept
 * in memory until the next write.
 */
@Component
public class LiveConfigurations {

    /** One live configuration: what the applier offers twins. */
    record Live(String id, String targetCondition, int priority, long createdMs, ObjectNode deviceContent,
                ObjectNode moduleContent, boolean staged, Admission admission) {

        /** What this configuration offers a twin of the given kind, or empty when it sets nothing on it now. */
        Optional<ConfigurationCandidate> candidate(boolean module) {
            ObjectNode content = module ? moduleContent : deviceContent;
            if (content.isEmpty() || staged && (admission == null || admission.phase() < 0)) {
                return Optional.empty();
            }
            return Optional.of(new ConfigurationCandidate(id, priority, createdMs, targetCondition, content,
                    staged ? admission : null));
        }

        boolean reaches(boolean module) {
            return candidate(module).isPresent();
        }
    }

    private final JdbcTemplate jdbc;
    private final ObjectMapper mapper;
    private volatile List<Live> cached;

    LiveConfigurations(JdbcTemplate jdbc, ObjectMapper mapper) {
        this.jdbc = jdbc;
        this.mapper = mapper;
    }

    List<Live> all() {
        List<Live> current = cached;
        if (current == null) {
            current = List.copyOf(jdbc.query("SELECT * FROM configuration_live ORDER BY configuration_id",
                    (rs, n) -> live(rs)));
            cached = current;
        }
        return current;
    }

    Optional<Live> find(String id) {
        return all().stream().filter(live -> live.id().equals(id)).findFirst();
    }

    /** The target condition of the live configuration {@code id}, if there is one. */
    public Optional<String> targetCondition(String id) {
        return find(id).map(Live::targetCondition);
    }

    /** The candidates a twin of this kind is offered: every live configuration with content for it. */
    List<ConfigurationCandidate> candidates(boolean module) {
        List<ConfigurationCandidate> candidates = new ArrayList<>();
        all().forEach(live -> live.candidate(module).ifPresent(candidates::add));
        return candidates;
    }

    void put(Live live) {
        jdbc.update("""
                INSERT INTO configuration_live (configuration_id, target_condition, priority, created_ms,
                    device_content, module_content, staged, admission)
                VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?::jsonb)
                ON CONFLICT (configuration_id) DO UPDATE SET target_condition = EXCLUDED.target_condition,
                    priority = EXCLUDED.priority, created_ms = EXCLUDED.created_ms,
                    device_content = EXCLUDED.device_content, module_content = EXCLUDED.module_content,
                    staged = EXCLUDED.staged, admission = EXCLUDED.admission""",
                live.id(), live.targetCondition(), live.priority(), live.createdMs(), json(live.deviceContent()),
                json(live.moduleContent()), live.staged(), live.admission() == null ? null : json(live.admission()));
        cached = null;
    }

    void delete(String id) {
        jdbc.update("DELETE FROM configuration_live WHERE configuration_id = ?", id);
        cached = null;
    }

    private Live live(ResultSet rs) throws SQLException {
        String admission = rs.getString("admission");
        return new Live(rs.getString("configuration_id"), rs.getString("target_condition"), rs.getInt("priority"),
                rs.getLong("created_ms"), JsonText.read(mapper, rs.getString("device_content"), ObjectNode.class),
                JsonText.read(mapper, rs.getString("module_content"), ObjectNode.class), rs.getBoolean("staged"),
                admission == null ? null : JsonText.read(mapper, admission, Admission.class));
    }

    private String json(Object value) {
        return JsonText.write(mapper, value);
    }
}
