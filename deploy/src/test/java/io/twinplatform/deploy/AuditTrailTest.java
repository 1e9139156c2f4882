package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trail across the fleet: filtered by principal, twin, device, correlation id, channel, path and time, paged,
 * and exported whole as NDJSON or CSV with the same rows.
 */
class AuditTrailTest extends PlatformTestSupport {

    @Test
    void selectsChangesAcrossTwinsAndExportsTheSameRows() throws Exception {
        TwinHttp.Keyed auditor = http.as("auditor-" + newDeviceId());
        String principal = auditor.principal();
        String ticket = "ticket-" + newDeviceId();
        String first = newDeviceId();
        String second = newDeviceId();
        assertThat(auditor.http().put("/twins/" + first, q("{'tags':{'site':'a, b'}}"),
                "X-Correlation-Id", ticket, "X-Change-Reason", "per ticket, \"urgent\"").status()).isEqualTo(201);
        auditor.http().put("/twins/" + second, q("{'properties':{'desired':{'fan':1}}}"),
                "X-Correlation-Id", ticket);
        auditor.http().put("/twins/" + second + "/modules/m", q("{}"));
        auditor.http().patch("/twins/" + second + "/properties/reported", q("{'fan':1}"));
        http.as("someone-else").http().patch("/twins/" + first, q("{'tags':{'site':'b'}}"));

        List<JsonNode> mine = awaitAll("/audit?principal=" + principal, 4);
        assertThat(mine).extracting(item -> item.get("twinId").asText())
                .containsExactly(first, second, second + "/m", second);
        assertThat(all("/audit?correlationId=" + ticket)).hasSize(2);
        assertThat(all("/audit?deviceId=" + second)).hasSize(3);
        assertThat(all("/audit?twinId=" + first)).hasSize(2);
        assertThat(all("/audit?principal=" + principal + "&channel=device")).extracting(i -> i.get("twinId").asText())
                .containsExactly(second);
        assertThat(all("/audit?deviceId=" + second + "&path=properties.desired.fan")).hasSize(1);
        String secondTime = mine.get(1).get("time").asText();
        assertThat(all("/audit?principal=" + principal + "&from=" + secondTime)).hasSize(3);
        assertThat(all("/audit?principal=" + principal + "&to=" + secondTime)).hasSize(1);

        // Paged one at a time: the same rows in the same order.
        List<JsonNode> paged = new ArrayList<>();
        String token = null;
        do {
            JsonNode page = http.get("/audit?principal=" + principal + "&pageSize=1"
                    + (token == null ? "" : "&continuationToken=" + java.net.URLEncoder.encode(token,
                    java.nio.charset.StandardCharsets.UTF_8))).json();
            page.get("items").forEach(paged::add);
            token = page.get("continuationToken").isNull() ? null : page.get("continuationToken").asText();
        } while (token != null);
        assertThat(paged).isEqualTo(mine);

        Reply ndjson = http.get("/audit/export?format=ndjson&principal=" + principal);
        assertThat(ndjson.status()).isEqualTo(200);
        assertThat(ndjson.contentType()).startsWith("application/x-ndjson");
        List<JsonNode> lines = new ArrayList<>();
        for (String line : ndjson.body().split("\n")) {
            lines.add(TwinHttp.JSON.readTree(line));
        }
        assertThat(lines).isEqualTo(mine);

        Reply csv = http.get("/audit/export?format=csv&principal=" + principal);
        assertThat(csv.status()).isEqualTo(200);
        assertThat(csv.contentType()).startsWith("text/csv");
        String[] rows = csv.body().split("\r\n(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)");
        assertThat(rows[0]).isEqualTo("time,twinId,version,eventType,principal,channel,transport,correlationId,"
                + "causationId,reason,paths,change,eventId");
        assertThat(rows).hasSize(5);
        assertThat(rows[1]).startsWith(mine.get(0).get("time").asText() + "," + first + ",1,TwinCreated," + principal)
                .contains(",\"per ticket, \"\"urgent\"\"\",")
                .contains("\"\"site\"\": \"\"a, b\"\"");
    }

    @Test
    void refusesBadParameters() {
        for (String query : List.of("/audit?pageSize=0", "/audit?from=noon", "/audit?channel=fax",
                "/audit?continuationToken=x", "/audit/export?format=xml")) {
            TwinHttp.assertProblem(http.get(query), 400, "invalidParameter");
        }
    }

    private List<JsonNode> all(String path) {
        List<JsonNode> items = new ArrayList<>();
        http.get(path).json().get("items").forEach(items::add);
        return items;
    }

    private List<JsonNode> awaitAll(String path, int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<JsonNode> items = List.of();
        while (System.nanoTime() < deadline) {
            items = all(path);
            if (items.size() >= count) {
                return items;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return items;
    }
}
