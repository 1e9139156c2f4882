package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The requests the fuzz found answered 500, or not as a problem, each pinned by name: wildcard media types, an
 * Accept the platform cannot honour, instants beyond the calendar, and what Tomcat refuses before the platform sees it.
 */
class HttpEdgesTest extends PlatformTestSupport {

    @Test
    void aWildcardContentTypeIsTreatedAsNoContentType() {
        // A body-less rollout decision and a verify take any body or none: the wildcard is simply ignored.
        assertProblem(http.post("/rollouts/no-such-rollout/pause", "", "Content-Type", "*/*"), 404, "rolloutNotFound");
        Reply verify = http.post("/audit/verify", "{\"history\":false}", "Content-Type", "application/*");
        assertThat(verify.status()).as("%s", verify).isEqualTo(200);
        // A JSON-only operation refuses a body of no named type.
        String id = newDeviceId();
        assertProblem(http.put("/twins/" + id, q("{'tags':{'a':1}}"), "Content-Type", "*/*"), 415,
                "unsupportedMediaType");
        assertProblem(http.get("/twins/" + id), 404, "twinNotFound");
    }

    @Test
    void anAcceptThePlatformCannotHonourIsAnsweredInJsonAndTheWriteHappensOnce() {
        String id = newDeviceId();

        Reply created = http.put("/twins/" + id, q("{'tags':{'a':1}}"), "Accept", "application/xml");
        Reply again = http.patch("/twins/" + id, q("{'tags':{'b':2}}"), "Accept", "garbage");

        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.contentType()).startsWith("application/json");
        assertThat(again.status()).as("%s", again).isEqualTo(200);
        assertThat(http.get("/twins/" + id).version()).isEqualTo(2);
    }

    @Test
    void anInstantBeyondTheYears0001To9999IsABadParameterNamingIt() {
        String id = createDevice("{'tags':{'a':1}}");

        JsonNode history = assertProblem(http.get("/twins/" + id + "/history?from=-999999999-01-01T00:00:00Z"), 400,
                "invalidParameter");
        JsonNode activity = assertProblem(http.get("/fleet/activity?to=%2B999999999-12-31T23:59:59Z"), 400,
                "invalidParameter");
        JsonNode asOf = assertProblem(http.get("/twins/" + id + "?asOf=0000-01-01T00:00:00Z"), 400, "invalidParameter");
        JsonNode query = assertProblem(http.post("/query", q("{'query':'SELECT deviceId FROM devices',"
                + "'asOf':'+999999999-12-31T23:59:59Z'}")), 400, "invalidAsOf");

        assertThat(history.path("path").asText()).isEqualTo("from");
        assertThat(activity.path("path").asText()).isEqualTo("to");
        assertThat(asOf.path("path").asText()).isEqualTo("asOf");
        assertThat(query.path("path").asText()).isEqualTo("$.asOf");
        assertThat(query.path("detail").asText()).contains("0001-01-01T00:00:00Z");
        // The range's own ends are accepted (polled: the history projection records the new twin after the write).
        http.awaitHistory("/twins/" + id + "/history?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", 1);
    }

    @Test
    void whatTomcatRefusesIsAProblemToo() throws IOException {
        // An encoded slash, and broken percent-encoding: refused before any controller runs.
        for (String path : new String[]{"/twins/a%2Fb", "/twins/a%G0", "/twins/a%"}) {
            String raw = raw("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

            assertThat(raw).as(path).startsWith("HTTP/1.1 400");
            assertThat(raw).as(path).containsIgnoringCase("Content-Type: application/problem+json");
            assertThat(raw).as(path).contains("\"code\":\"invalidRequest\"").contains("\"status\":400")
                    .doesNotContain("Tomcat").doesNotContain("<html");
        }
    }

    /** A request sent as bytes (java.net.http would refuse to send a malformed target), the answer as text. */
    private String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
