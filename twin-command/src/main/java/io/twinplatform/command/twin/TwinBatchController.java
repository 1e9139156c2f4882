package io.twinplatform.command.twin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonPath;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.command.TwinCommandSettings;
import io.twinplatform.command.dispatch.CommandDispatcher;
import io.twinplatform.command.dispatch.RequestAudit;
import io.twinplatform.command.dispatch.RequestContextCarrier;
import io.twinplatform.command.dispatch.ScopeGuard;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * {@code POST /twins/batch}: many twins' patches in one request, for services that update many twins at once (Azure
 * IoT Hub's bulk registry operations, Ditto's batch commands). Each item is the command its single endpoint sends
 * ({@link TwinBatch}), with the request's audit headers and that endpoint's channel ({@code device} for reported,
 * {@code api} for tags and desired), and gets its own result: {@code 200} with the etag and version of the twin
 * after it, or the status and problem document the single endpoint would have answered. A refused item writes
 * nothing and fails no other item.
 * <p>
 * Items are sent concurrently, at most {@code twin.command.batch.max-in-flight} of all batches together; items of
 * one twin are sent one after another in their order. The batch threads get the request's context through the
 * {@link RequestContextCarrier}, if the deployment has one (its database timeout for requests). The answer comes once every item is committed or refused, and
 * does not wait for the read side: a {@code GET} right after may not show an item yet (a caller that needs that
 * reads with the item's version). An item that fails for another reason (the database) is {@code 500} in its
 * result, its outcome unknown, like a single write answered 5xx.
 */
@RestController
@Tag(name = "twins", description = "Device and module twins")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class TwinBatchController implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(TwinBatchController.class);
    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    private static final String EXAMPLE = """
            {"items":[
              {"deviceId":"device001","reported":{"firmwareVersion":"1.2.4"},"idempotencyKey":"msg-0002"},
              {"deviceId":"device001","moduleId":"sensorModule","reported":{"temperature":21.5}},
              {"deviceId":"device002","patch":{"tags":{"ring":"early"},"properties":{"desired":{"telemetryInterval":30}}},
               "ifMatch":"\\"3\\""}
            ]}""";
    private static final String ANSWER = """
            {"results":[
              {"index":0,"deviceId":"device001","moduleId":null,"status":200,"etag":"\\"4\\"","version":4,"changed":true},
              {"index":1,"deviceId":"device001","moduleId":"sensorModule","status":200,"etag":"\\"2\\"","version":2,
               "changed":true},
              {"index":2,"deviceId":"device002","moduleId":null,"status":412,"problem":{
                "type":"urn:twin-platform:problem:etagMismatch","title":"Precondition failed","status":412,
                "detail":"If-Match \\"3\\" does not match the twin's etag \\"5\\"","code":"etagMismatch"}}
            ]}""";
    private static final String RETRY_HINT = "read the twin (its version shows whether it changed), or send the item"
            + " again with the same ifMatch or idempotencyKey, which keeps a repeat from applying twice";

    /** A batch request; documentation only, the body is read raw ({@link TwinBatch#parse}). */
    @Schema(name = "BatchRequest")
    record BatchRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "at most"
            + " twin.command.batch.max-items (1000)") List<BatchItem> items) {
    }

    /** One item: a reported patch or a patch of tags and desired, of one twin. */
    @Schema(name = "BatchItem", description = "either reported (with idempotencyKey) or patch (with ifMatch)")
    record BatchItem(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String deviceId, String moduleId,
                     @Schema(description = "a merge patch of reported properties, as PATCH …/properties/reported")
                     Map<String, Object> reported,
                     @Schema(description = "1 to 128 characters; a repeat is a no-op") String idempotencyKey,
                     @Schema(description = "a merge patch of tags and properties.desired, as PATCH /twins/{deviceId}")
                     Map<String, Object> patch,
                     @Schema(description = "as the If-Match header") String ifMatch) {
    }

    /** The answer of a batch; documentation only. */
    @Schema(name = "BatchResults")
    record BatchResults(@Schema(description = "one per item, in item order") List<BatchResult> results) {
    }

    /** One item's result: 200 with the twin's etag and version, or the problem its single endpoint would answer. */
    @Schema(name = "BatchResult")
    record BatchResult(int index, String deviceId, String moduleId, int status, String etag, Long version,
                       Boolean changed,
                       @Schema(ref = PROBLEM_SCHEMA, description = "a refused item: its path names the fault below"
                               + " $.items[i]") Object problem) {
    }

    private final CommandDispatcher dispatcher;
    private final int maxItems;
    private final long maxBodyBytes;
    private final ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();

    private final ScopeGuard scope;

    TwinBatchController(CommandDispatcher dispatcher, TwinCommandSettings settings,
                        ObjectProvider<RequestContextCarrier> carrier, ScopeGuard scope) {
        this.dispatcher = dispatcher;
        this.scope = scope;
        this.maxItems = settings.batch().maxItems();
        this.maxBodyBytes = settings.batch().maxBodySize().toBytes();
        executor.setCorePoolSize(settings.batch().maxInFlight());
        executor.setMaxPoolSize(settings.batch().maxInFlight());
        executor.setThreadNamePrefix("twin-batch-");
        executor.setDaemon(true);
        executor.setTaskDecorator(carrier.getIfAvailable(() -> task -> task)::carry);
        executor.initialize();
    }

    @Operation(summary = "Patch many twins in one request: each item a reported patch (with idempotencyKey) or a"
            + " patch of tags and desired (with ifMatch), applied on its own with its own result, in item order;"
            + " items of one twin are applied in their order. The answer does not wait for the read side",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
                    description = "{\"items\":[…]}: each item deviceId, optional moduleId, and either reported"
                            + " (+ idempotencyKey) or patch {tags, properties.desired} (+ ifMatch)",
                    content = @Content(mediaType = JSON, schema = @Schema(implementation = BatchRequest.class),
                            examples = @ExampleObject(name = "batch", value = EXAMPLE))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "every item committed or refused:"
                            + " {\"results\":[…]} in item order, each with index, deviceId, moduleId, status and"
                            + " either etag, version and changed (200) or problem (the problem document the single"
                            + " endpoint would answer; its path names the fault below $.items[i])",
                            content = @Content(mediaType = JSON,
                                    schema = @Schema(implementation = BatchResults.class),
                                    examples = @ExampleObject(name = "results", value = ANSWER))),
                    @ApiResponse(responseCode = "400", description = "not a JSON object with an items array;"
                            + " malformed JSON or UTF-8; nothing is written",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = "more items than twin.command.batch.max-items"
                            + " (1000) or a body over twin.command.batch.max-body-size (16MB); nothing is written",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = "not application/json",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = "/twins/batch", consumes = JSON, produces = JSON)
    JsonNode batch(HttpServletRequest request) {
        List<TwinBatch.Item> items = TwinBatch.parse(body(request), maxItems);
        AuditMetadata api = RequestAudit.of(request, Channel.API);
        AuditMetadata device = new AuditMetadata(api.principal(), Channel.DEVICE, api.transport(), api.correlationId(),
                api.reason());
        List<CompletableFuture<ObjectNode>> results = new ArrayList<>(items.size());
        Map<String, CompletableFuture<?>> lastOfTwin = new HashMap<>();
        Scope caller = scope.current();
        for (TwinBatch.Item item : items) {
            if (item.error() != null) {
                results.add(CompletableFuture.completedFuture(refused(item, item.error())));
                continue;
            }
            TwinError outside = scope.refusal(caller, item.id(), item.kind(), item.write());
            if (outside != null) {
                // Held to the caller's scope as the single endpoint is; the item is refused, the others go on.
                results.add(CompletableFuture.completedFuture(refused(item, TwinError.at(outside.kind(),
                        outside.code(), JsonPath.index("$.items", item.index()), outside.detail()))));
                continue;
            }
            AuditMetadata audit = item.channel() == Channel.DEVICE ? device : api;
            CompletableFuture<?> before = lastOfTwin.getOrDefault(item.id().value(),
                    CompletableFuture.completedFuture(null));
            CompletableFuture<TwinWriteResult> sent = before.handle((result, failure) -> null)
                    .thenComposeAsync(ignored -> dispatcher.sendCommitted(item.command(), audit), executor);
            lastOfTwin.put(item.id().value(), sent);
            results.add(sent.handle((result, failure) -> failure == null ? applied(item, result)
                    : failed(item, failure)));
        }
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        ArrayNode array = answer.putArray("results");
        for (CompletableFuture<ObjectNode> result : results) {
            array.add(result.join());
        }
        return answer;
    }

    /** The body, refused whole with 413 past the limit (by its Content-Length before reading, if it has one). */
    private byte[] body(HttpServletRequest request) {
        TwinException tooLarge = new TwinException(TwinError.of(ErrorKind.TOO_LARGE, "bodyTooLarge",
                "a batch body holds at most " + maxBodyBytes + " bytes"));
        if (request.getContentLengthLong() > maxBodyBytes) {
            throw tooLarge;
        }
        try {
            byte[] body = request.getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (body.length > maxBodyBytes) {
                throw tooLarge;
            }
            return body;
        } catch (IOException e) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "malformedJson", "$", "unreadable body"));
        }
    }

    private static ObjectNode applied(TwinBatch.Item item, TwinWriteResult result) {
        ObjectNode answer = head(item, 200);
        answer.put("etag", TwinState.etag(result.version()));
        answer.put("version", result.version());
        answer.put("changed", result.changed());
        return answer;
    }

    private ObjectNode failed(TwinBatch.Item item, Throwable failure) {
        TwinException refusal = TwinException.find(failure);
        if (refusal != null) {
            return refused(item, item.placed(refusal.error()));
        }
        log.warn("batch item {} for {} failed", item.index(), item.id(), failure);
        return refused(item, TwinError.failed("item", RETRY_HINT));
    }

    private static ObjectNode refused(TwinBatch.Item item, TwinError error) {
        ObjectNode answer = head(item, error.kind().status());
        answer.set("problem", error.toProblem());
        return answer;
    }

    private static ObjectNode head(TwinBatch.Item item, int status) {
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        answer.put("index", item.index());
        if (item.id() != null) {
            answer.put("deviceId", item.id().deviceId());
            answer.put("moduleId", item.id().moduleId());
        }
        answer.put("status", status);
        return answer;
    }

    @Override
    public void destroy() {
        executor.shutdown();
    }
}
