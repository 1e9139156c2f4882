package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static io.twinplatform.deploy.TwinHttp.q;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /events}: twin changes as server-sent events, read as any client reads them (an HTTP client with the
 * key in its Authorization header): filtered by a condition judged on the twin after each event, resumable with
 * Last-Event-ID, narrowed to a scoped caller's twins, and refused with a problem for bad input.
 */
class LiveEventsTest extends PlatformTestSupport {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** One SSE message: its id and its data, the CloudEvents record. */
    record Message(long id, JsonNode record) {

        String twinId() {
            return record.path("subject").asText();
        }

        String type() {
            return record.path("type").asText();
        }
    }

    /** An open stream; its messages arrive on a queue, read by a thread of its own. */
    final class Stream implements AutoCloseable {
        final HttpResponse<InputStream> response;
        final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
        final List<String> comments = new ArrayList<>();
        private final Thread reader;

        Stream(HttpResponse<InputStream> response) {
            this.response = response;
            this.reader = new Thread(this::read, "sse-reader");
            this.reader.setDaemon(true);
            this.reader.start();
        }

        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                Long id = null;
                StringBuilder data = new StringBuilder();
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.isEmpty()) {
                        if (!data.isEmpty()) {
                            messages.add(new Message(id == null ? -1 : id, TwinHttp.JSON.readTree(data.toString())));
                        }
                        id = null;
                        data.setLength(0);
                    } else if (line.startsWith(":")) {
                        synchronized (comments) {
                            comments.add(line);
                        }
                    } else if (line.startsWith("id:")) {
                        id = Long.parseLong(line.substring(3).trim());
                    } else if (line.startsWith("data:")) {
                        data.append(line.substring(5).stripLeading());
                    }
                }
            } catch (IOException closed) {
                // closed by the test
            }
        }

        /** The next message, waiting up to 20 s; fails when none comes. */
        Message next() throws InterruptedException {
            Message message = messages.poll(20, TimeUnit.SECONDS);
            assertThat(message).as("a message on the stream").isNotNull();
            return message;
        }

        /** The next messages for {@code twinId}, skipping other twins' (a shared platform writes others). */
        Message nextFor(String twinId) throws InterruptedException {
            while (true) {
                Message message = next();
                if (message.twinId().equals(twinId)) {
                    return message;
                }
            }
        }

        @Override
        public void close() throws IOException {
            response.body().close();
            reader.interrupt();
        }
    }

    private Stream open(String authorization, String where, String lastEventId) throws Exception {
        HttpResponse<InputStream> response = request(authorization, where, lastEventId);
        assertThat(response.statusCode()).as("GET /events").isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        return new Stream(response);
    }

    private HttpResponse<InputStream> request(String authorization, String where, String lastEventId)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events"
                        + (where == null ? "" : "?where=" + URLEncoder.encode(where, StandardCharsets.UTF_8))))
                .header("Accept", "text/event-stream").timeout(Duration.ofMinutes(5));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return CLIENT.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void sendsTheChangesOfTwinsMeetingTheConditionAsTheyAreStored() throws Exception {
        String site = "live-" + newDeviceId();
        try (Stream stream = open(http.authorization(), "tags.site = '" + site + "'", null)) {
            String inside = createDevice("{'tags':{'site':'" + site + "'}}");
            String outside = createDevice("{'tags':{'site':'elsewhere'}}");
            http.patch("/twins/" + outside + "/properties/reported", q("{'fan':1}"));
            assertThat(http.patch("/twins/" + inside + "/properties/reported", q("{'fan':2}"),
                    "X-Change-Reason", "live test").status()).isEqualTo(200);
            // Moved out of the condition: the move itself is judged on the twin after it, so it is not sent.
            http.patch("/twins/" + inside, q("{'tags':{'site':'moved'}}"));
            http.patch("/twins/" + inside, q("{'tags':{'site':'" + site + "'}}"));

            Message created = stream.next();
            assertThat(created.twinId()).isEqualTo(inside);
            assertThat(created.type()).isEqualTo("io.twinplatform.twin.TwinCreated.v1");
            assertThat(created.record.path("data").path("globalIndex").asLong()).isEqualTo(created.id());
            Message reported = stream.next();
            assertThat(reported.twinId()).isEqualTo(inside);
            assertThat(reported.type()).isEqualTo("io.twinplatform.twin.ReportedPropertiesPatched.v1");
            assertThat(reported.id()).isGreaterThan(created.id());
            assertThat(reported.record.path("data").path("version").asLong()).isEqualTo(2);
            assertThat(reported.record.path("data").path("metadata").path("reason").asText()).isEqualTo("live test");
            Message back = stream.next();
            assertThat(back.twinId()).isEqualTo(inside);
            assertThat(back.record.path("data").path("version").asLong()).as("the move out is not sent").isEqualTo(4);
        }
    }

    @Test
    void aStarConditionSelectsDeviceTwinsAsAConfigurationsTargetDoes() throws Exception {
        try (Stream devices = open(http.authorization(), "*", null)) {
            String device = createDevice("{}");
            assertThat(http.put("/twins/" + device + "/modules/m", q("{}")).status()).isEqualTo(201);
            http.patch("/twins/" + device + "/properties/reported", q("{'a':1}"));
            assertThat(devices.next().twinId()).isEqualTo(device);
            Message second = devices.next();
            assertThat(second.twinId()).as("the module twin's creation is not sent").isEqualTo(device);
            assertThat(second.type()).isEqualTo("io.twinplatform.twin.ReportedPropertiesPatched.v1");
        }
    }

    @Test
    void aStreamResumedWithLastEventIdGoesOnAfterIt() throws Exception {
        String site = "resume-" + newDeviceId();
        String where = "tags.site = '" + site + "'";
        String twin;
        long first;
        try (Stream stream = open(http.authorization(), where, null)) {
            twin = createDevice("{'tags':{'site':'" + site + "'}}");
            first = stream.nextFor(twin).id();
        }
        // Written while no stream is open.
        http.patch("/twins/" + twin + "/properties/reported", q("{'a':1}"));
        http.patch("/twins/" + twin + "/properties/reported", q("{'a':2}"));
        try (Stream resumed = open(http.authorization(), where, Long.toString(first))) {
            Message second = resumed.next();
            Message third = resumed.next();
            assertThat(List.of(second.twinId(), third.twinId())).containsOnly(twin);
            assertThat(second.record.path("data").path("version").asLong()).isEqualTo(2);
            assertThat(third.record.path("data").path("version").asLong()).isEqualTo(3);
            assertThat(second.id()).isGreaterThan(first);
        }
    }

    @Test
    void aScopedCallerHearsOnlyOfTwinsInsideItsScope() throws Exception {
        String site = "scope-" + newDeviceId();
        var body = TwinHttp.JSON.createObjectNode().put("name", "live-" + site)
                .put("scope", "tags.site = '" + site + "'");
        body.putArray("roles").add("viewer");
        JsonNode key = http.post("/admin/keys", body).json();
        try (Stream stream = open("Bearer " + key.get("key").asText(), null, null)) {
            createDevice("{'tags':{'site':'not-" + site + "'}}");
            String mine = createDevice("{'tags':{'site':'" + site + "'}}");
            Message message = stream.next();
            assertThat(message.twinId()).isEqualTo(mine);
        }
    }

    @Test
    void oneStreamOverTheInstancesLimitIsRefusedAndTheLimitFreesWhenClientsGo() throws Exception {
        List<HttpResponse<InputStream>> held = new ArrayList<>();
        try {
            HttpResponse<InputStream> refused = null;
            // The limit is 100; streams other tests closed count until the keep-alive finds them gone.
            for (int i = 0; i <= 200 && refused == null; i++) {
                HttpResponse<InputStream> response = request(http.authorization(), null, null);
                if (response.statusCode() == 200) {
                    held.add(response);
                } else {
                    refused = response;
                }
            }
            assertThat(refused).as("a refusal within 200 streams").isNotNull();
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            String problem;
            try (InputStream body = refused.body()) {
                problem = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertThat(TwinHttp.JSON.readTree(problem).path("code").asText()).isEqualTo("tooManyStreams");
        } finally {
            for (HttpResponse<InputStream> response : held) {
                response.body().close();
            }
        }
        // Within a keep-alive (15 s) the instance notices the clients went and takes streams again.
        org.awaitility.Awaitility.await("a stream once the clients left").atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofSeconds(1)).until(() -> {
                    HttpResponse<InputStream> response = request(http.authorization(), null, null);
                    response.body().close();
                    return response.statusCode() == 200;
                });
    }

    @Test
    void badInputIsRefusedWithAProblemBeforeTheStreamStarts() {
        TwinHttp.Reply condition = http.get("/events?where=" + URLEncoder.encode("tags.site = ",
                StandardCharsets.UTF_8), "Accept", "text/event-stream");
        assertThat(assertProblem(condition, 400, "invalidQuery").path("position").asInt()).isEqualTo(12);
        assertProblem(http.get("/events?where=" + URLEncoder.encode("computed.rul < 5", StandardCharsets.UTF_8)),
                400, "computedNotInTargets");
        assertThat(assertProblem(http.get("/events", "Last-Event-ID", "abc"), 400, "invalidLastEventId")
                .path("path").asText()).isEqualTo("Last-Event-ID");
        assertProblem(http.get("/events", "Last-Event-ID", "-1"), 400, "invalidLastEventId");
        assertProblem(http.get("/events?where=%00"), 400, "invalidText");
        assertProblem(http.anonymous().get("/events"), 401, "unauthorized");
        assertProblem(http.as("live-monitor", "monitor").http().get("/events"), 403, "forbidden");
    }
}
