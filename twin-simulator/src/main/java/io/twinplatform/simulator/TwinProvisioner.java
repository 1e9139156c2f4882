package io.twinplatform.simulator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Creates the twins of simulated devices that do not exist yet: {@code PUT {platform}/twins/{id}} with
 * {@code If-None-Match: *}, the tags {@code deviceType: simulated-thermostat, simulated: true} and the API key of
 * {@code --api-key} (the platform refuses a request without one: 401). A 412 means the
 * twin exists, which is fine; any other failure is counted and the first one logged, and the devices connect anyway
 * (their {@code get} then tells whether the twin is there).
 */
final class TwinProvisioner {

    private static final Logger log = LoggerFactory.getLogger(TwinProvisioner.class);
    static final String BODY = "{\"tags\":{\"deviceType\":\"simulated-thermostat\",\"simulated\":true}}";
    /** Requests in flight at once: enough to create 10,000 twins in seconds, few enough not to swamp the platform. */
    private static final int PARALLEL = 16;

    /** What creating the fleet's twins came to. */
    record Outcome(int created, int existed, int failed) {
    }

    private final HttpClient http;
    private final String platformUrl;
    private final String apiKey;

    /** @param apiKey sent as {@code Authorization: Bearer}; null sends none */
    TwinProvisioner(URI platformUrl, String apiKey) {
        this.platformUrl = platformUrl.toString().replaceAll("/+$", "");
        this.apiKey = apiKey;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    Outcome createMissing(List<String> twinIds) {
        Semaphore slots = new Semaphore(PARALLEL);
        AtomicInteger created = new AtomicInteger();
        AtomicInteger existed = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        List<CompletableFuture<?>> requests = new ArrayList<>();
        for (String twinId : twinIds) {
            slots.acquireUninterruptibly();
            HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(platformUrl + "/twins/"
                            + URLEncoder.encode(twinId, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("If-None-Match", "*")
                    .PUT(HttpRequest.BodyPublishers.ofString(BODY));
            if (apiKey != null) {
                builder.header("Authorization", "Bearer " + apiKey);
            }
            HttpRequest request = builder.build();
            requests.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .whenComplete((response, failure) -> {
                        slots.release();
                        if (failure != null) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, "PUT " + request.uri() + ": " + failure);
                        } else if (response.statusCode() == 412) {
                            existed.incrementAndGet();
                        } else if (response.statusCode() / 100 == 2) {
                            created.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, "PUT " + request.uri() + " answered "
                                    + response.statusCode() + ": " + response.body());
                        }
                    }));
            if (failed.get() > 0 && created.get() + existed.get() == 0 && failed.get() >= PARALLEL) {
                // The platform is not there at all: no point in trying every other twin.
                break;
            }
        }
        CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new)).exceptionally(failure -> null).join();
        Outcome outcome = new Outcome(created.get(), existed.get(), twinIds.size() - created.get() - existed.get());
        if (outcome.failed() > 0) {
            log.warn("could not create {} of {} twins ({}); devices whose twin is missing get get/rejected until it "
                    + "exists (--platform-url sets the platform, --api-key the key, --no-create skips this)",
                    outcome.failed(), twinIds.size(), firstFailure.get());
        }
        return outcome;
    }
}
