package io.twinplatform.command.rollout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.JsonText;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.rollout.PhaseCounts;
import io.twinplatform.api.rollout.RolloutDecided;
import io.twinplatform.api.rollout.RolloutObserved;
import io.twinplatform.api.rollout.RolloutPhaseAdmitted;
import io.twinplatform.api.rollout.RolloutSpec;
import io.twinplatform.api.rollout.RolloutStarted;
import io.twinplatform.api.twin.AuditMetadata;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.messaging.MetaData;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rollouts as operators read them: spec, status, current phase, the latest counts per phase, and every decision with
 * its reason, time and who took it. A subscribing processor ({@value #GROUP}): written with the event.
 */
@Component
@ProcessingGroup(RolloutProjection.GROUP)
public class RolloutProjection {

    public static final String GROUP = "rollout-read";

    /** A rollout the monitor watches. */
    record Watched(String rolloutId, String configurationId, String status, RolloutSpec spec, String successQuery) {
    }

    private final JdbcTemplate jdbc;
    private final ObjectMapper mapper;

    RolloutProjection(JdbcTemplate jdbc, ObjectMapper mapper) {
        this.jdbc = jdbc;
        this.mapper = mapper;
    }

    @EventHandler
    void on(RolloutStarted event, @org.axonframework.eventhandling.Timestamp Instant at, MetaData metaData) {
        ArrayNode decisions = mapper.createArrayNode();
        decisions.add(decision("created", "running", -1, "rollout created", true, at, metaData));
        jdbc.update("""
                INSERT INTO rollout (rollout_id, configuration_id, status, phase, spec, success_query, decisions,
                    created_at, updated_at)
                VALUES (?, ?, 'running', -1, ?::jsonb, ?, ?::jsonb, ?, ?)""",
                event.rolloutId(), event.spec().configurationId(), json(event.spec()), event.successQuery(),
                decisions.toString(), Timestamp.from(at), Timestamp.from(at));
    }

    @EventHandler
    void on(RolloutDecided event, @org.axonframework.eventhandling.Timestamp Instant at, MetaData metaData) {
        ObjectNode decision = decision(event.decision(), event.status(), event.phase(), event.reason(),
                event.byHand(), at, metaData);
        jdbc.update("UPDATE rollout SET status = ?, phase = ?, decisions = decisions || ?::jsonb, updated_at = ?"
                        + " WHERE rollout_id = ?", event.status(), event.phase(),
                mapper.createArrayNode().add(decision).toString(), Timestamp.from(at), event.rolloutId());
    }

    @EventHandler
    void on(RolloutPhaseAdmitted event, @org.axonframework.eventhandling.Timestamp Instant at, MetaData metaData) {
        ObjectNode decision = decision("phaseAdmitted", "running", event.phase(), event.twins()
                + " twins show the configuration from this rollout", false, at, metaData);
        jdbc.update("UPDATE rollout SET decisions = decisions || ?::jsonb, updated_at = ? WHERE rollout_id = ?",
                mapper.createArrayNode().add(decision).toString(), Timestamp.from(at), event.rolloutId());
    }

    @EventHandler
    void on(RolloutObserved event, @org.axonframework.eventhandling.Timestamp Instant at) {
        jdbc.update("UPDATE rollout SET observed = ?::jsonb, updated_at = ? WHERE rollout_id = ?",
                json(event.phases()), Timestamp.from(at), event.rolloutId());
    }

    List<Watched> watched() {
        return jdbc.query("SELECT rollout_id, configuration_id, status, spec::text, success_query FROM rollout"
                + " WHERE status IN ('running', 'rollingBack')", (rs, n) -> new Watched(rs.getString(1),
                rs.getString(2), rs.getString(3), read(rs.getString(4), RolloutSpec.class), rs.getString(5)));
    }

    /** The rollout as GET shows it. */
    public Optional<ObjectNode> find(String rolloutId) {
        return jdbc.query("SELECT rollout_id, configuration_id, status, phase, spec::text, observed::text,"
                + " decisions::text, created_at, updated_at FROM rollout WHERE rollout_id = ?", (rs, n) -> {
            RolloutSpec spec = read(rs.getString(5), RolloutSpec.class);
            Map<Integer, PhaseCounts> observed = read(rs.getString(6), mapper.getTypeFactory()
                    .constructMapType(Map.class, Integer.class, PhaseCounts.class));
            ObjectNode doc = mapper.createObjectNode();
            doc.put("id", rs.getString(1));
            doc.put("configurationId", rs.getString(2));
            doc.put("status", rs.getString(3));
            int phase = rs.getInt(4);
            doc.put("currentPhase", phase);
            doc.put("currentPhaseName", phase >= 0 ? spec.phases().get(phase).name() : null);
            ArrayNode phases = doc.putArray("phases");
            for (int i = 0; i < spec.phases().size(); i++) {
                PhaseCounts counts = observed.getOrDefault(i, new PhaseCounts(0, 0, 0, 0));
                ObjectNode item = phases.addObject();
                item.put("name", spec.phases().get(i).name());
                item.put("percent", spec.phases().get(i).percent());
                item.put("targeted", counts.targeted());
                item.put("applied", counts.applied());
                item.put("succeeded", counts.succeeded());
                item.put("failed", counts.failed());
            }
            doc.set("success", mapper.valueToTree(spec.success()));
            doc.set("failure", mapper.valueToTree(spec.failure()));
            doc.put("onFailure", spec.onFailure().name().toLowerCase());
            doc.put("phaseTimeoutSeconds", spec.phaseTimeoutSeconds());
            doc.put("createdTime", Timestamps.format(rs.getTimestamp(8).toInstant()));
            doc.put("lastUpdatedTime", Timestamps.format(rs.getTimestamp(9).toInstant()));
            doc.set("decisions", read(rs.getString(7), mapper.getTypeFactory().constructType(ArrayNode.class)));
            return doc;
        }, rolloutId).stream().findFirst();
    }

    private ObjectNode decision(String decision, String status, int phase, String reason, boolean byHand,
                                Instant at, MetaData metaData) {
        ObjectNode node = mapper.createObjectNode();
        node.put("time", Timestamps.format(at));
        node.put("decision", decision);
        node.put("status", status);
        node.put("phase", phase);
        node.put("reason", reason);
        node.put("byHand", byHand);
        Object principal = metaData.get(AuditMetadata.PRINCIPAL);
        node.put("principal", principal == null ? null : principal.toString());
        return node;
    }

    private <T> T read(String json, Class<T> type) {
        return JsonText.read(mapper, json, type);
    }

    private <T> T read(String json, com.fasterxml.jackson.databind.JavaType type) {
        return JsonText.read(mapper, json, type);
    }

    private String json(Object value) {
        return JsonText.write(mapper, value);
    }
}
