package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator API as the simulator reads it to learn and to replay: a twin (now or as of an instant), its raw
 * telemetry samples and its reported changes, every page of them, and creating a twin. Authenticates with
 * {@code Authorization: Bearer} and the API key it was given, which it never logs. A failure is an
 * {@link IllegalStateException} naming the request and the platform's answer.
 */
final class PlatformClient {

    static final int SAMPLES_PAGE = 10_000;
    static final int HISTORY_PAGE = 1_000;
    /** The history's event type of a reported patch. */
    static final String REPORTED_PATCHED = "ReportedPropertiesPatched";

    /** A reported patch as the twin's history holds it: when the platform took it, and the patch. */
    record ReportedChange(Instant time, ObjectNode patch) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String apiKey;

    /** @param apiKey sent as {@code Authorization: Bearer}; null sends none */
    PlatformClient(URI platformUrl, String apiKey) {
        this.base = platformUrl.toString().replaceAll("/+$", "");
        this.apiKey = apiKey;
    }

    /** The twin, or as it was at {@code asOf} when that is not null. */
    ObjectNode twin(String twinId, Instant asOf) {
        return (ObjectNode) get("/twins/" + encode(twinId) + (asOf == null ? "" : "?asOf=" + encode(asOf.toString())));
    }

    /** Every telemetry sample of the twin in {@code [from, to)}, in (ts, name) order. */
    List<HourlyProfile.Sample> samples(String twinId, Instant from, Instant to) {
        List<HourlyProfile.Sample> samples = new ArrayList<>();
        String after = null;
        do {
            JsonNode page = get("/twins/" + encode(twinId) + "/telemetry/samples?from=" + encode(from.toString())
                    + "&to=" + encode(to.toString()) + "&limit=" + SAMPLES_PAGE
                    + (after == null ? "" : "&after=" + encode(after)));
            for (JsonNode item : page.path("items")) {
                samples.add(new HourlyProfile.Sample(Instant.parse(item.get("ts").asText()), item.get("name").asText(),
                        item.get("value").asDouble()));
            }
            after = page.path("next").isTextual() ? page.get("next").asText() : null;
        } while (after != null);
        return samples;
    }

    /** The reported patches the device made in {@code [from, to)}, oldest first, from the twin's history. */
    List<ReportedChange> reportedChanges(String twinId, Instant from, Instant to) {
        List<ReportedChange> changes = new ArrayList<>();
        String token = null;
        do {
            JsonNode page = get("/twins/" + encode(twinId) + "/history?order=oldest&channel=device&pageSize="
                    + HISTORY_PAGE + "&from=" + encode(from.toString()) + "&to=" + encode(to.toString())
                    + (token == null ? "" : "&continuationToken=" + encode(token)));
            for (JsonNode item : page.path("items")) {
                if (item.path("eventType").asText().endsWith(REPORTED_PATCHED)
                        && item.path("change").path("patch") instanceof ObjectNode patch) {
                    changes.add(new ReportedChange(Instant.parse(item.get("time").asText()), patch));
                }
            }
            token = page.path("continuationToken").isTextual() ? page.get("continuationToken").asText() : null;
        } while (token != null);
        return changes;
    }

    /**
     * Creates the twin with {@code body} ({@code If-None-Match: *}).
     *
     * @return false when it exists already
     */
    boolean create(String twinId, ObjectNode body) {
        HttpRequest request = request("/twins/" + encode(twinId)).header("Content-Type", "application/json")
                .header("If-None-Match", "*").PUT(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<String> response = send(request);
        if (response.statusCode() == 412) {
            return false;
        }
        check(request, response);
        return true;
    }

    private JsonNode get(String path) {
        HttpRequest request = request(path).GET().build();
        HttpResponse<String> response = send(request);
        check(request, response);
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + request.uri() + " answered what is not JSON", e);
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/json");
        if (apiKey != null) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        return builder;
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(request.method() + " " + request.uri() + ": "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName())
                    + " (is the platform at --platform-url?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(request.method() + " " + request.uri() + " was interrupted", e);
        }
    }

    private static void check(HttpRequest request, HttpResponse<String> response) {
        if (response.statusCode() / 100 != 2) {
            String detail = response.body();
            try {
                JsonNode problem = JSON.readTree(detail);
                if (problem.hasNonNull("detail")) {
                    detail = problem.get("detail").asText();
                }
            } catch (IOException e) {
                // the body as it came
            }
            throw new IllegalStateException(request.method() + " " + request.uri() + " answered "
                    + response.statusCode() + ": " + detail);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
