package io.twinplatform.history.computed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.history.FindComputedValues;
import io.twinplatform.api.model.Etags;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.twin.TwinId;
import jakarta.servlet.http.HttpServletRequest;
import org.axonframework.queryhandling.QueryHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * Computed attributes (docs/predictive.md): {@code PUT /computed/{name}} defines one over a set of twins (a target
 * condition, as configurations have), {@code GET /twins/{id}/computed} answers a twin's latest values with what each
 * was computed from, and {@code GET /alerts} lists the raised alerts. Values are computed as telemetry arrives
 * ({@link ComputedEngine}), never on read. Scoped callers cannot define attributes or list alerts: both reach across
 * the fleet.
 */
@RestController
@Tag(name = "computed", description = "Computed attributes of twins and their alerts")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class ComputedController {

    /** A definition as written; documentation only. */
    @Schema(name = "ComputedWrite")
    record ComputedWrite(@Schema(description = "which twins: a condition of the query language") String targetCondition,
                         @Schema(allowableValues = {"mean", "min", "max", "percentile", "rateOfChange", "count",
                                 "anomalyScore", "remainingUsefulLife", "uptime", "timeInState", "errorCount"})
                         String function,
                         @Schema(description = "telemetry.<series name>, connection, or reported.<path>") String input,
                         @Schema(description = "ISO-8601 duration, 1 minute to 90 days") String window,
                         @Schema(description = "anomalyScore: days of hourly baseline, 1 to 90") Integer baselineDays,
                         @Schema(description = "the fewest samples a value needs (per hour of day for an anomaly"
                                 + " score); default 10") Integer minSamples,
                         @Schema(description = "percentile: which, above 0 and at most 100") Double percentile,
                         @Schema(description = "remainingUsefulLife: the failure threshold") Double threshold,
                         @Schema(allowableValues = {"rising", "falling"}) String direction,
                         @Schema(description = "{\"above\": raise, \"clear\": clear} or {\"below\": raise, \"clear\":"
                                 + " clear}") Map<String, Double> alert,
                         @Schema(description = "timeInState, errorCount: the reported value counted") Object state) {
    }

    /** A definition as stored; documentation only. */
    @Schema(name = "Computed")
    record ComputedRead(String name, String targetCondition, String function, String input, String window,
                        Integer baselineDays, Integer minSamples, Double percentile, Double threshold,
                        String direction, Map<String, Double> alert, Object state, String etag,
                        String createdDateTimeUtc,
                        String lastUpdatedDateTimeUtc, String updatedBy) {
    }

    /** Every definition; documentation only. */
    @Schema(name = "ComputedList")
    record ComputedList(List<ComputedRead> items) {
    }

    /** One twin's value of one attribute; documentation only. */
    @Schema(name = "ComputedValue")
    record ValueRead(String twinId, String name, @Schema(description = "null when there is none (detail.reason)")
                     Double value, String computedAt,
                     @Schema(description = "the window, its samples and the model's parameters") Map<String, Object> detail,
                     @Schema(description = "{\"raised\": bool, \"changedAt\": instant or null}") Map<String, Object> alert) {
    }

    /** A twin's values; documentation only. */
    @Schema(name = "TwinComputed")
    record TwinComputed(String deviceId, String moduleId, Map<String, ValueRead> computed) {
    }

    /** A rebuild's progress; documentation only. */
    @Schema(name = "ComputedRebuild")
    record RebuildRead(@Schema(allowableValues = {"running", "completed", "failed"}) String state, int twins,
                       long done, String startedAt, String finishedAt, String failure) {
    }

    /** Raised alerts; documentation only. */
    @Schema(name = "AlertList")
    record AlertList(List<ValueRead> items, @Schema(description = "pass as after for the next page; null at the end")
                     String next) {
    }

    static final int MAX_ALERTS_PAGE = 1000;
    private static final Logger log = LoggerFactory.getLogger(ComputedController.class);
    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String EXAMPLE = "{\"targetCondition\":\"tags.kind = 'pump'\",\"function\":\"anomalyScore\","
            + "\"input\":\"telemetry.vibration\",\"window\":\"PT1H\",\"baselineDays\":7,"
            + "\"alert\":{\"above\":3.0,\"clear\":2.0}}";

    private final ComputedStore store;
    private final ComputedEngine engine;
    private final Clock clock = Clock.systemUTC();

    ComputedController(ComputedStore store, ComputedEngine engine) {
        this.store = store;
        this.engine = engine;
    }

    @Operation(summary = "Define or redefine a computed attribute: which twins, which telemetry series, over which"
            + " window, computed how, and an optional alert with hysteresis",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content =
            @Content(mediaType = JSON, schema = @Schema(implementation = ComputedWrite.class),
                    examples = @ExampleObject(name = "anomaly", value = EXAMPLE))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "redefined (its values are computed anew)",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = ComputedRead.class))),
                    @ApiResponse(responseCode = "201", description = "defined",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = ComputedRead.class))),
                    @ApiResponse(responseCode = "400", description = "a bad name, member, window or condition (the"
                            + " path or the condition's position at fault)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "412", description = "If-Match does not match the definition's etag",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "well-formed but meaningless: a window out of"
                            + " range, an unknown function, a clearing threshold on the wrong side",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PutMapping(path = "/computed/{name}", produces = JSON)
    ResponseEntity<JsonNode> put(@PathVariable String name, @RequestBody(required = false) byte[] body,
                                 @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                 HttpServletRequest request) {
        ComputedDefinitions.checkName(name);
        ComputedDefinition definition = ComputedDefinitions.parse(name, JsonBodies.parseObject(body));
        TwinQuery.parseTargetCondition(definition.targetCondition());
        Long expected = ifMatch == null ? null : Etags.expectedVersion(ifMatch);
        String by = request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName();
        ComputedStore.Stored stored = store.put(definition, expected, by, clock.instant())
                .orElseThrow(() -> new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "etagMismatch",
                        "If-Match " + ifMatch + " does not match computed attribute " + name)));
        engine.definitionsChanged();
        log.info("{} {} computed attribute {}", by, stored.version() == 1 ? "defined" : "redefined", name);
        return ResponseEntity.status(stored.version() == 1 ? HttpStatus.CREATED : HttpStatus.OK)
                .eTag(stored.etag()).body(stored.toJson());
    }

    @Operation(summary = "A computed attribute's definition",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the definition, with its etag",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = ComputedRead.class))),
                    @ApiResponse(responseCode = "400", description = "a bad name",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such attribute (computedNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping(path = "/computed/{name}", produces = JSON)
    ResponseEntity<JsonNode> get(@PathVariable String name) {
        ComputedDefinitions.checkName(name);
        ComputedStore.Stored stored = store.find(name).orElseThrow(() -> notFound(name));
        ObjectNode body = stored.toJson();
        engine.lastRebuild(name).ifPresent(rebuild -> body.set("rebuild", rebuild.toJson()));
        return ResponseEntity.ok().eTag(stored.etag()).body(body);
    }

    @Operation(summary = "Compute a computed attribute anew for every twin with telemetry of its series (from the"
            + " stored telemetry, as if it had just arrived); GET /computed/{name} shows the progress as rebuild",
            responses = {
                    @ApiResponse(responseCode = "202", description = "started", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = RebuildRead.class))),
                    @ApiResponse(responseCode = "400", description = "a bad name",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such attribute (computedNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "a rebuild of it is running (rebuildRunning)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = "/computed/{name}/rebuild", produces = JSON)
    ResponseEntity<JsonNode> rebuild(@PathVariable String name, HttpServletRequest request) {
        ComputedDefinitions.checkName(name);
        ComputedStore.Stored stored = store.find(name).orElseThrow(() -> notFound(name));
        ComputedEngine.Rebuild rebuild = engine.rebuild(stored).orElseThrow(() -> new TwinException(
                TwinError.of(ErrorKind.CONFLICT, "rebuildRunning", "a rebuild of " + name + " is running")));
        log.info("{} rebuilds computed attribute {} for {} twins", request.getUserPrincipal() == null ? "anonymous"
                : request.getUserPrincipal().getName(), name, rebuild.twins());
        return ResponseEntity.accepted().body(rebuild.toJson());
    }

    @Operation(summary = "Every computed attribute's definition, by name",
            responses = @ApiResponse(responseCode = "200", description = "{\"items\": [definition…]}",
                    content = @Content(mediaType = JSON, schema = @Schema(implementation = ComputedList.class))))
    @GetMapping(path = "/computed", produces = JSON)
    ObjectNode list() {
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        ArrayNode items = answer.putArray("items");
        store.all().forEach(stored -> items.add(stored.toJson()));
        return answer;
    }

    @Operation(summary = "Delete a computed attribute: its raised alerts are cleared (AlertCleared events) and its"
            + " values dropped",
            responses = {
                    @ApiResponse(responseCode = "204", description = "deleted"),
                    @ApiResponse(responseCode = "400", description = "a bad name",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such attribute (computedNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @DeleteMapping(path = "/computed/{name}")
    ResponseEntity<Void> delete(@PathVariable String name, HttpServletRequest request) {
        ComputedDefinitions.checkName(name);
        ComputedDefinition definition = store.find(name).orElseThrow(() -> notFound(name)).definition();
        if (definition.alert() != null) {
            // Each raised alert ends with an AlertCleared at the clearing threshold, so no twin keeps an alert of an
            // attribute that is gone. One that cannot be cleared now (its twin deleted) is left and logged.
            double threshold = definition.alert().clear();
            String now = Timestamps.format(clock.instant());
            String afterTwin = null;
            List<ComputedStore.Value> raised;
            do {
                raised = store.alerts(name, afterTwin == null ? null : name, afterTwin, MAX_ALERTS_PAGE);
                for (ComputedStore.Value value : raised) {
                    engine.clear(name, value.twinId(), value.value() == null ? threshold : value.value(), threshold,
                            now);
                    afterTwin = value.twinId();
                }
            } while (raised.size() == MAX_ALERTS_PAGE);
        }
        if (!store.delete(name)) {
            throw notFound(name);
        }
        engine.definitionsChanged();
        log.info("{} deleted computed attribute {}", request.getUserPrincipal() == null ? "anonymous"
                : request.getUserPrincipal().getName(), name);
        return ResponseEntity.noContent().build();
    }

    @Operation(summary = "The twin's computed attributes: each its latest value, when it was computed, what from"
            + " (window, samples, model parameters) and its alert",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the values, by attribute name",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = TwinComputed.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping(path = {"/twins/{deviceId}/computed", "/twins/{deviceId}/modules/{moduleId}/computed"},
            produces = JSON)
    ObjectNode twin(@PathVariable String deviceId, @PathVariable(required = false) String moduleId) {
        TwinId id = moduleId == null ? TwinId.device(deviceId) : TwinId.module(deviceId, moduleId);
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        answer.put("deviceId", id.deviceId());
        answer.put("moduleId", id.moduleId());
        answer.set("computed", values(store.values(id.value())));
        return answer;
    }

    /** {@code GET /twins/{id}?include=computed} asks the read side for these. */
    @QueryHandler
    ObjectNode computed(FindComputedValues query) {
        return values(store.values(query.twinId()));
    }

    /** A twin's values by name, as {@code computed} shows them. */
    static ObjectNode values(List<ComputedStore.Value> values) {
        ObjectNode computed = JsonNodeFactory.instance.objectNode();
        for (ComputedStore.Value value : values) {
            ObjectNode shown = value.toJson();
            shown.remove("twinId");
            shown.remove("name");
            computed.set(value.name(), shown);
        }
        return computed;
    }

    @Operation(summary = "The raised alerts of computed attributes, by attribute then twin, paged",
            responses = {
                    @ApiResponse(responseCode = "200", description = "{\"items\": [value…], \"next\": cursor}",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = AlertList.class))),
                    @ApiResponse(responseCode = "400", description = "a bad name, limit or cursor (invalidParameter)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping(path = "/alerts", produces = JSON)
    ObjectNode alerts(@Parameter(description = "only this attribute's alerts") @RequestParam(required = false)
                      String name,
                      @Parameter(description = "1 to 1000, default 100") @RequestParam(defaultValue = "100")
                      String limit,
                      @Parameter(description = "the next of the previous page") @RequestParam(required = false)
                      String after) {
        if (name != null) {
            ComputedDefinitions.checkName(name);
        }
        int size = limit(limit);
        String afterName = null;
        String afterTwin = null;
        if (after != null) {
            int colon = after.indexOf(':');
            if (colon < 1 || colon == after.length() - 1 || after.length() > 400) {
                throw invalid("after", "after is the next of the previous page");
            }
            afterName = after.substring(0, colon);
            afterTwin = after.substring(colon + 1);
        }
        List<ComputedStore.Value> page = store.alerts(name, afterName, afterTwin, size + 1);
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        ArrayNode items = answer.putArray("items");
        page.stream().limit(size).forEach(value -> items.add(value.toJson()));
        if (page.size() > size) {
            ComputedStore.Value last = page.get(size - 1);
            answer.put("next", last.name() + ":" + last.twinId());
        } else {
            answer.putNull("next");
        }
        return answer;
    }

    private static int limit(String text) {
        try {
            int value = Integer.parseInt(text);
            if (value >= 1 && value <= MAX_ALERTS_PAGE) {
                return value;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw invalid("limit", "limit is a whole number from 1 to " + MAX_ALERTS_PAGE);
    }

    private static TwinException invalid(String parameter, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidParameter", parameter, detail));
    }

    private static TwinException notFound(String name) {
        return new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "computedNotFound",
                "there is no computed attribute " + name));
    }
}
