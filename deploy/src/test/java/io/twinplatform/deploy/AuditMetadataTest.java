package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every change is an event that records who made it, through what, and why; and events are never changed. */
class AuditMetadataTest extends PlatformTestSupport {

    private record StoredEvent(String payloadType, JsonNode metaData) {
    }

    @Autowired
    DataSource dataSource;

    private JdbcTemplate jdbc;

    @BeforeEach
    void jdbc() {
        jdbc = new JdbcTemplate(dataSource);
    }

    private List<StoredEvent> events(String twinId) {
        return jdbc.query("SELECT meta_data, payload_type FROM domain_event_entry WHERE aggregate_identifier = ? "
                + "ORDER BY sequence_number", (rs, n) -> {
            try {
                return new StoredEvent(rs.getString("payload_type"), TwinHttp.JSON.readTree(rs.getBytes("meta_data")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, twinId);
    }

    @Test
    void anOperatorWriteRecordsWhoThroughWhatAndWhy() {
        String id = newDeviceId();
        Reply created = http.as("alice").http().put("/twins/" + id, q("{'tags':{'site':'a'}}"), "X-Correlation-Id", "corr-1", "X-Change-Reason", "ticket 42");
        assertThat(created.status()).isEqualTo(201);

        List<StoredEvent> events = events(id);
        assertThat(events).hasSize(1);
        assertThat(events.get(0).payloadType()).isEqualTo("io.twinplatform.api.twin.TwinCreated");
        JsonNode meta = events.get(0).metaData();
        assertThat(meta.path("principal").asText()).as("%s", meta).isEqualTo(http.as("alice").principal());
        assertThat(meta.path("channel").asText()).isEqualTo("api");
        assertThat(meta.path("transport").asText()).isEqualTo("http");
        assertThat(meta.path("correlationId").asText()).isEqualTo("corr-1");
        assertThat(meta.path("reason").asText()).isEqualTo("ticket 42");
        assertThat(meta.path("causationId").asText()).isNotBlank().isNotEqualTo("corr-1");

        // A device's reported patch is recorded as coming through the device channel, with a fresh correlation id.
        http.patch("/twins/" + id + "/properties/reported", q("{'temp':20}"));
        // Any other caller is named by its own key: here the bootstrap admin key.
        http.patch("/twins/" + id, q("{'tags':{'site':'b'}}"), "X-Correlation-Id", "corr-2");

        events = events(id);
        assertThat(events).extracting(StoredEvent::payloadType).containsExactly(
                "io.twinplatform.api.twin.TwinCreated",
                "io.twinplatform.api.twin.ReportedPropertiesPatched",
                "io.twinplatform.api.twin.TwinPatched");
        JsonNode reported = events.get(1).metaData();
        assertThat(reported.path("channel").asText()).as("%s", reported).isEqualTo("device");
        assertThat(reported.path("transport").asText()).isEqualTo("http");
        assertThat(reported.path("principal").asText()).isEqualTo(http.principal());
        assertThat(reported.path("correlationId").asText()).isNotBlank().isNotEqualTo("corr-1");
        assertThat(reported.path("causationId").asText()).isNotBlank()
                .isNotEqualTo(meta.path("causationId").asText());
        assertThat(reported.has("reason")).isFalse();
        JsonNode patched = events.get(2).metaData();
        assertThat(patched.path("channel").asText()).isEqualTo("api");
        assertThat(patched.path("principal").asText()).isEqualTo(http.principal());
        assertThat(patched.path("correlationId").asText()).isEqualTo("corr-2");
    }

    @Test
    void aShadowUpdateRecordsItsChannel() {
        String id = createDevice("{}");
        http.as("lamp-1").http().post("/twins/" + id + "/shadow", q("{'state':{'reported':{'color':'red'}}}"));
        http.as("bob").http().post("/twins/" + id + "/shadow", q("{'state':{'desired':{'color':'blue'}}}"));
        List<StoredEvent> events = events(id);
        assertThat(events).hasSize(3);
        assertThat(events.get(1).metaData().path("channel").asText()).isEqualTo("device");
        assertThat(events.get(1).metaData().path("principal").asText()).isEqualTo(http.as("lamp-1").principal());
        assertThat(events.get(2).metaData().path("channel").asText()).isEqualTo("api");
        assertThat(events.get(2).metaData().path("principal").asText()).isEqualTo(http.as("bob").principal());
    }

    @Test
    void theEventStoreRefusesToChangeDeleteOrTruncateEvents() {
        String id = createDevice("{'tags':{'site':'a'}}");
        http.patch("/twins/" + id, q("{'tags':{'site':'b'}}"));
        List<StoredEvent> before = events(id);
        assertThat(before).hasSize(2);

        assertThatThrownBy(() -> jdbc.update(
                "UPDATE domain_event_entry SET payload_type = 'tampered' WHERE aggregate_identifier = ?", id))
                .isInstanceOf(DataAccessException.class)
                .hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.update("DELETE FROM domain_event_entry WHERE aggregate_identifier = ?", id))
                .isInstanceOf(DataAccessException.class)
                .hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.execute("TRUNCATE domain_event_entry"))
                .isInstanceOf(DataAccessException.class)
                .hasMessageContaining("append-only");

        assertThat(events(id)).isEqualTo(before);
        assertThat(http.get("/twins/" + id).version()).isEqualTo(2);
        // A deleted twin keeps its events.
        assertThat(http.delete("/twins/" + id).status()).isEqualTo(204);
        assertThat(events(id)).hasSize(3).startsWith(before.toArray(new StoredEvent[0]));
    }
}
