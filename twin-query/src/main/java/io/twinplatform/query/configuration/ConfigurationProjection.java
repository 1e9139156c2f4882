package io.twinplatform.query.configuration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.configuration.ConfigurationAdmitted;
import io.twinplatform.api.configuration.ConfigurationCreated;
import io.twinplatform.api.configuration.ConfigurationDeleted;
import io.twinplatform.api.configuration.ConfigurationUpdated;
import io.twinplatform.api.model.JsonText;
import io.twinplatform.api.model.Timestamps;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Configurations as operators read them, in Azure's shape. A subscribing processor ({@value #GROUP}): the row is
 * written in the same transaction as the event, so a {@code GET} right after a {@code PUT} shows it.
 */
@Component
@ProcessingGroup(ConfigurationProjection.GROUP)
public class ConfigurationProjection {

    public static final String GROUP = "configuration-read";

    private final JdbcTemplate jdbc;
    private final ObjectMapper mapper;

    ConfigurationProjection(JdbcTemplate jdbc, ObjectMapper mapper) {
        this.jdbc = jdbc;
        this.mapper = mapper;
    }

    @EventHandler
    void on(ConfigurationCreated event, @org.axonframework.eventhandling.Timestamp Instant at) {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("id", event.configurationId());
        doc.put("schemaVersion", "1.0");
        doc.put("targetCondition", event.targetCondition());
        doc.put("priority", event.priority());
        ObjectNode content = doc.putObject("content");
        content.set("deviceContent", event.deviceContent());
        content.set("moduleContent", event.moduleContent());
        doc.putObject("metrics").set("queries", mapper.valueToTree(event.metrics()));
        doc.set("labels", mapper.valueToTree(event.labels()));
        doc.put("staged", event.staged());
        doc.put("createdTimeUtc", Timestamps.format(at));
        doc.put("lastUpdatedTimeUtc", Timestamps.format(at));
        doc.put("etag", "\"" + event.version() + "\"");
        jdbc.update("""
                INSERT INTO configuration_document (configuration_id, version, document, created_at, updated_at)
                VALUES (?, ?, ?::jsonb, ?, ?)
                ON CONFLICT (configuration_id) DO UPDATE SET version = EXCLUDED.version,
                    document = EXCLUDED.document, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at""",
                event.configurationId(), event.version(), json(doc), Timestamp.from(at), Timestamp.from(at));
    }

    @EventHandler
    void on(ConfigurationUpdated event, @org.axonframework.eventhandling.Timestamp Instant at) {
        find(event.configurationId()).ifPresent(doc -> {
            doc.put("targetCondition", event.targetCondition());
            doc.put("priority", event.priority());
            ((ObjectNode) doc.get("metrics")).set("queries", mapper.valueToTree(event.metrics()));
            doc.set("labels", mapper.valueToTree(event.labels()));
            save(doc, event.version(), at);
        });
    }

    @EventHandler
    void on(ConfigurationAdmitted event, @org.axonframework.eventhandling.Timestamp Instant at) {
        find(event.configurationId()).ifPresent(doc -> {
            ObjectNode rollout = doc.putObject("rollout");
            rollout.put("rolloutId", event.admission().rolloutId());
            rollout.put("phase", event.admission().phase());
            rollout.set("percents", mapper.valueToTree(event.admission().percents()));
            rollout.put("reverted", event.revert());
            save(doc, event.version(), at);
        });
    }

    @EventHandler
    void on(ConfigurationDeleted event) {
        jdbc.update("DELETE FROM configuration_document WHERE configuration_id = ?", event.configurationId());
    }

    Optional<ObjectNode> find(String id) {
        List<String> docs = jdbc.queryForList("SELECT document::text FROM configuration_document"
                + " WHERE configuration_id = ?", String.class, id);
        return docs.stream().findFirst().map(this::parse);
    }

    List<ObjectNode> list(int top) {
        return jdbc.queryForList("SELECT document::text FROM configuration_document ORDER BY configuration_id"
                + " LIMIT ?", String.class, top).stream().map(this::parse).toList();
    }

    private void save(ObjectNode doc, long version, Instant at) {
        doc.put("lastUpdatedTimeUtc", Timestamps.format(at));
        doc.put("etag", "\"" + version + "\"");
        jdbc.update("UPDATE configuration_document SET version = ?, document = ?::jsonb, updated_at = ?"
                + " WHERE configuration_id = ?", version, json(doc), Timestamp.from(at), doc.get("id").asText());
    }

    private ObjectNode parse(String json) {
        return JsonText.read(mapper, json, ObjectNode.class);
    }

    private String json(Object value) {
        return JsonText.write(mapper, value);
    }

    static Map<String, String> queries(ObjectNode doc, ObjectMapper mapper) {
        return mapper.convertValue(doc.path("metrics").path("queries"),
                mapper.getTypeFactory().constructMapType(Map.class, String.class, String.class));
    }
}
