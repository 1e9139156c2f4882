package io.twinplatform.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain HTTP client for the platform's API, as any user would call it (java.net.http: it can send PATCH).
 * Extra headers are given as name/value pairs; a {@code Content-Type} among them replaces the JSON default. It
 * authenticates as a client does: {@code Authorization: Bearer} with the key it was given (the bootstrap admin key
 * the platform wrote to its data directory, or one made with {@link #as}); an {@code Authorization} among the extra
 * headers replaces it.
 */
final class TwinHttp {

    static final ObjectMapper JSON = new ObjectMapper();

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    /** Keys made by {@link #as}, by platform and name: a name is made once per platform. */
    private static final Map<String, Keyed> KEYS = new ConcurrentHashMap<>();

    private final String base;
    private final String authorization;

    /** A client of the platform on {@code port} that uses the admin key in {@code dataDir}. */
    TwinHttp(int port, Path dataDir) {
        this("http://127.0.0.1:" + port, "Bearer " + adminKey(dataDir));
    }

    /** {@code authorization}: the whole {@code Authorization} header value, or null to send none. */
    TwinHttp(String base, String authorization) {
        this.base = base;
        this.authorization = authorization;
    }

    /** The bootstrap admin key the platform wrote to {@code <dataDir>/admin-key} on its first start. */
    static String adminKey(Path dataDir) {
        try {
            return Files.readString(dataDir.resolve("admin-key"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("the platform wrote no admin key to " + dataDir, e);
        }
    }

    /** The same platform, with another key (null: no credentials). */
    TwinHttp withKey(String key) {
        return new TwinHttp(base, key == null ? null : "Bearer " + key);
    }

    /** The same platform, without credentials. */
    TwinHttp anonymous() {
        return new TwinHttp(base, null);
    }

    /** The {@code Authorization} header value this client sends, null if none. */
    String authorization() {
        return authorization;
    }

    /** The principal this client's own key puts in events (this client must be an admin's: it lists the keys). */
    String principal() {
        String id = authorization.substring("Bearer twk_".length(), "Bearer twk_".length() + 12);
        for (JsonNode key : get("/admin/keys").json().get("keys")) {
            if (key.get("id").asText().equals(id)) {
                return key.get("principal").asText();
            }
        }
        throw new AssertionError("no key " + id + " in /admin/keys");
    }

    /** An API key made by an admin: its client, its id, the principal its events name, the key itself. */
    record Keyed(TwinHttp http, String id, String principal, String key) {
    }

    /**
     * A client that authenticates with a key named {@code name} (roles {@code operator} and {@code auditor}
     * unless given), made with this client (an admin's) the first time the name is asked for on this platform.
     */
    Keyed as(String name, String... roles) {
        return KEYS.computeIfAbsent(base + " " + name, k -> {
            ObjectNode body = JSON.createObjectNode().put("name", name);
            var array = body.putArray("roles");
            for (String role : roles.length == 0 ? new String[]{"operator", "auditor"} : roles) {
                array.add(role);
            }
            Reply created = post("/admin/keys", body);
            assertThat(created.status()).as("POST /admin/keys %s: %s", name, created).isEqualTo(201);
            JsonNode key = created.json();
            return new Keyed(withKey(key.get("key").asText()), key.get("id").asText(), key.get("principal").asText(),
                    key.get("key").asText());
        });
    }

    /** A response as the user sees it. */
    record Reply(int status, HttpHeaders headers, String body) {

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (JsonProcessingException e) {
                throw new AssertionError("response body is not JSON (status " + status + "): " + body, e);
            }
        }

        String etag() {
            return headers.firstValue("ETag").orElse(null);
        }

        String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        long version() {
            return json().path("version").asLong(-1);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    Reply get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    Reply delete(String path, String... headers) {
        return send("DELETE", path, null, headers);
    }

    Reply put(String path, Object body, String... headers) {
        return send("PUT", path, body, headers);
    }

    Reply patch(String path, Object body, String... headers) {
        return send("PATCH", path, body, headers);
    }

    Reply post(String path, Object body, String... headers) {
        return send("POST", path, body, headers);
    }

    /** {@code body}: a String (sent as is), a byte[] or a JsonNode; null sends no body. */
    Reply send(String method, String path, Object body, String... headers) {
        if (headers.length % 2 != 0) {
            throw new IllegalArgumentException("headers come in name/value pairs");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        boolean contentType = false;
        boolean authorized = false;
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
            contentType |= headers[i].equalsIgnoreCase("Content-Type");
            authorized |= headers[i].equalsIgnoreCase("Authorization");
        }
        if (!authorized && authorization != null) {
            request.header("Authorization", authorization);
        }
        byte[] bytes = body == null ? null
                : body instanceof byte[] b ? b
                : body instanceof String s ? s.getBytes(StandardCharsets.UTF_8)
                : body.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes != null && !contentType) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, bytes == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(bytes));
        try {
            HttpResponse<String> response = CLIENT.send(request.build(), TwinHttp::bodyUnlessStream);
            return new Reply(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * The body as text; of an event stream ({@code GET /events}), which stays open, nothing: the stream is closed once
     * its head is read, and its messages are {@code LiveEventsTest}'s to read.
     */
    private static HttpResponse.BodySubscriber<String> bodyUnlessStream(HttpResponse.ResponseInfo info) {
        if (info.statusCode() == 200 && info.headers().firstValue("Content-Type").orElse("")
                .startsWith("text/event-stream")) {
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofInputStream(), stream -> {
                try {
                    stream.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return "";
            });
        }
        return HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
    }

    /**
     * Waits until {@code GET historyPath} (a twin's {@code /history}, with any query) lists at least {@code items}
     * changes, and returns that page. The history projection runs on its own and in event order: once a change is
     * listed, every earlier change is in the history table too.
     */
    JsonNode awaitHistory(String historyPath, int items) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Reply reply = null;
        while (System.nanoTime() < deadline) {
            reply = get(historyPath);
            if (reply.status() == 200 && reply.json().get("items").size() >= items) {
                return reply.json();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError(historyPath + " did not list " + items + " changes: " + reply);
    }

    /**
     * Polls {@code GET path} until it answers 200 with a body that satisfies {@code until}, and returns that body;
     * fails with the last body after {@code timeout}. For what the platform does on its own after a write (the
     * configuration applier, a rollout's saga).
     */
    JsonNode awaitJson(String path, java.util.function.Predicate<JsonNode> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            Reply reply = get(path);
            if (reply.status() == 200) {
                last = reply.json();
                if (until.test(last)) {
                    return last;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("timed out waiting on " + path + "; last: " + last);
    }

    /**
     * Waits up to a minute for the replay of projection {@code name} to finish (running, not replaying, done up to
     * the store's head as {@code GET /admin/projections} shows it) and returns that projection's entry.
     */
    JsonNode awaitReplayed(String name) {
        JsonNode projections = awaitJson("/admin/projections", list -> {
            JsonNode last = projection(list, name);
            return last != null && !last.get("replaying").asBoolean() && last.get("running").asBoolean()
                    && last.has("done") && last.get("done").asLong() >= last.get("total").asLong();
        }, Duration.ofSeconds(60));
        return projection(projections, name);
    }

    private static JsonNode projection(JsonNode list, String name) {
        for (JsonNode projection : list.get("projections")) {
            if (projection.get("name").asText().equals(name)) {
                return projection;
            }
        }
        return null;
    }

    /** A moment strictly between two writes: the clock moves past the last event's millisecond on both sides. */
    static Instant pause() throws InterruptedException {
        Thread.sleep(5);
        Instant now = Instant.now();
        Thread.sleep(5);
        return now;
    }

    /** A device id no other test uses. */
    static String newDeviceId() {
        return "dev-" + java.util.UUID.randomUUID();
    }

    /** JSON written with single quotes for readability: {@code q("{'a':1}")} is {@code {"a":1}}. */
    static String q(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    /** Parses JSON written with single quotes. */
    static JsonNode j(String singleQuoted) {
        try {
            return JSON.readTree(q(singleQuoted));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }

    /** The values of a desired or reported section, without its {@code $metadata} and {@code $version}. */
    static ObjectNode values(JsonNode section) {
        ObjectNode copy = ((ObjectNode) section).deepCopy();
        copy.remove("$metadata");
        copy.remove("$version");
        return copy;
    }

    /**
     * Asserts an {@code application/problem+json} answer with the status and code, with every member the API
     * promises, and no trace of the server's internals. Returns the problem.
     */
    static JsonNode assertProblem(Reply reply, int status, String code) {
        assertThat(reply.status()).as("status of %s", reply).isEqualTo(status);
        assertThat(reply.contentType()).as("content type of %s", reply).startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.path("type").asText()).as("type")
                .isEqualTo("urn:twin-platform:problem:" + problem.path("code").asText());
        assertThat(problem.path("title").asText()).as("title").isNotBlank();
        assertThat(problem.path("status").asInt()).as("status member").isEqualTo(status);
        assertThat(problem.path("detail").asText()).as("detail").isNotBlank();
        if (code != null) {
            assertThat(problem.path("code").asText()).as("code of %s", reply).isEqualTo(code);
        } else {
            assertThat(problem.path("code").asText()).as("code").isNotBlank();
        }
        assertThat(reply.body()).as("no stack trace in %s", reply)
                .doesNotContain("at io.").doesNotContain("at org.").doesNotContain("Exception")
                .doesNotContain("\"trace\"");
        return problem;
    }
}
