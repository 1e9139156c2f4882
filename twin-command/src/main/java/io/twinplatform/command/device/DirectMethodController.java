package io.twinplatform.command.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.device.DeviceMethodChannel;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.RandomIds;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.query.ScopedWrites;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.CompleteDirectMethod;
import io.twinplatform.api.twin.DirectMethodCompleted;
import io.twinplatform.api.twin.FindTwin;
import io.twinplatform.api.twin.InvokeDirectMethod;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinId;
import io.twinplatform.command.dispatch.CommandDispatcher;
import io.twinplatform.command.dispatch.RequestAudit;
import io.twinplatform.command.dispatch.ScopeGuard;
import jakarta.servlet.http.HttpServletRequest;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * Direct methods, as Azure IoT Hub's service API calls them: {@code POST /twins/{id}/methods/{name}} with
 * {@code {"payload": …, "responseTimeoutInSeconds": 30}} sends the call to the connected device and answers its
 * {@code {"status", "payload"}}; {@code 404 deviceNotConnected} when the device is not connected (or not subscribed to
 * method calls), {@code 504 deviceTimeout} when it does not answer in time, {@code 502 invalidDeviceAnswer} when its
 * answer is not a JSON value the platform keeps. Every call that goes out is two events of the twin, both with the
 * caller as principal: {@code DirectMethodInvoked} before the call goes out, {@code DirectMethodCompleted} with how
 * it ended. A call to a device that is not connected is refused before anything is recorded.
 * The request waits for the answer on its own thread, as long as {@code responseTimeoutInSeconds} at most.
 */
@RestController
@Tag(name = "devices")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class DirectMethodController {

    /** A call's body; documentation only. */
    @Schema(name = "DirectMethodCall", description = "every member is optional; others are ignored")
    record MethodCall(@Schema(description = "what the method is called with: any JSON value", nullable = true)
                      Object payload,
                      @Schema(description = "how long to wait for the device's answer, 5 to 300 seconds",
                              defaultValue = "30") Integer responseTimeoutInSeconds,
                      @Schema(description = "Azure's; accepted from 0 to 300 and not waited for: a device that is"
                              + " not connected now is not reached", defaultValue = "0")
                      Integer connectTimeoutInSeconds) {
    }

    /** The device's answer; documentation only. */
    @Schema(name = "DirectMethodAnswer")
    record MethodAnswer(@Schema(description = "the status the device answered with") int status,
                        @Schema(description = "the payload it answered with: any JSON value", nullable = true)
                        Object payload) {
    }

    private static final Logger log = LoggerFactory.getLogger(DirectMethodController.class);
    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String EXAMPLE = "{\"payload\":{\"sensor\":\"temperature\",\"offset\":-0.4},"
            + "\"responseTimeoutInSeconds\":30}";
    /** The most a payload (either way) may hold as compact JSON; the twin's own sections hold as much. */
    static final int MAX_PAYLOAD_BYTES = 32 * 1024;
    static final int DEFAULT_TIMEOUT_SECONDS = 30;
    static final int MIN_TIMEOUT_SECONDS = 5;
    static final int MAX_TIMEOUT_SECONDS = 300;
    /** Method names go into topics: no {@code /}, wildcards or spaces. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,128}");

    private final CommandDispatcher dispatcher;
    private final QueryGateway queries;
    private final ScopeGuard scope;
    private final TwinValidator validator;
    private final ObjectProvider<DeviceMethodChannel> channel;

    DirectMethodController(CommandDispatcher dispatcher, QueryGateway queries, ScopeGuard scope,
                           TwinValidator validator, ObjectProvider<DeviceMethodChannel> channel) {
        this.dispatcher = dispatcher;
        this.queries = queries;
        this.scope = scope;
        this.validator = validator;
        this.channel = channel;
    }

    @Operation(summary = "Call a direct method on the connected device or module and answer its status and payload",
            description = "The call and its outcome are two events of the twin (DirectMethodInvoked,"
                    + " DirectMethodCompleted), with the caller as principal and X-Change-Reason as reason. The"
                    + " device gets it on $iothub/methods/POST/{name}/?$rid= (Azure's protocol) or on"
                    + " twins/{id}/methods (the platform's own).",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = JSON,
                    schema = @Schema(implementation = MethodCall.class),
                    examples = @ExampleObject(name = "call", value = EXAMPLE))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "the device answered (whatever its status)",
                            content = @Content(mediaType = JSON, schema = @Schema(implementation = MethodAnswer.class))),
                    @ApiResponse(responseCode = "400", description = "a bad id, method name, body or timeout",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin (twinNotFound), or the device is"
                            + " not connected (deviceNotConnected)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "no device channel here can call methods"
                            + " (methodsUnavailable: an external broker)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = "a payload over 32 KB",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "a payload a twin could not hold",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "502", description = "the device's answer is not a JSON value the"
                            + " platform keeps (invalidDeviceAnswer)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "504", description = "no answer within responseTimeoutInSeconds"
                            + " (deviceTimeout)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = {"/twins/{deviceId}/methods/{methodName}",
            "/twins/{deviceId}/modules/{moduleId}/methods/{methodName}"}, produces = JSON)
    ResponseEntity<JsonNode> call(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                  @Parameter(description = "1 to 128 of A-Z a-z 0-9 _ . -")
                                  @PathVariable String methodName,
                                  @RequestBody(required = false) byte[] body, HttpServletRequest request) {
        TwinId id = moduleId == null ? TwinId.device(deviceId) : TwinId.module(deviceId, moduleId);
        if (!NAME.matcher(methodName).matches()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidMethodName", "methodName",
                    "a method name is 1 to 128 of A-Z a-z 0-9 _ . -"));
        }
        ObjectNode call = body == null || body.length == 0 ? JsonNodeFactory.instance.objectNode()
                : JsonBodies.parseObject(body);
        JsonNode payload = call.get("payload");
        validator.checkValue(payload, MAX_PAYLOAD_BYTES, "$.payload");
        int timeout = seconds(call, "responseTimeoutInSeconds", DEFAULT_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS,
                MAX_TIMEOUT_SECONDS);
        seconds(call, "connectTimeoutInSeconds", 0, 0, MAX_TIMEOUT_SECONDS);
        DeviceMethodChannel devices = channel.getIfAvailable();
        if (devices == null) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "methodsUnavailable", "this platform runs no"
                    + " embedded MQTT broker: direct methods need to know which devices are connected"));
        }
        if (queries.query(new FindTwin(id.value()), ObjectNode.class).join() == null) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                    "twin " + id + " does not exist"));
        }
        scope.requireWrite(id, ScopedWrites.Kind.UNCHANGED, null);
        if (!devices.connected(id).join()) {
            // Refused before anything is recorded: nothing was sent.
            throw notConnected(id);
        }

        AuditMetadata audit = RequestAudit.of(request, Channel.API);
        String requestId = RandomIds.uuid();
        JsonNode recorded = payload == null || payload.isNull() ? null : payload;
        committed(new InvokeDirectMethod(id.value(), requestId, methodName, recorded, timeout), audit);
        long started = System.nanoTime();
        DeviceMethodChannel.Answer answer = devices.call(id, requestId, methodName, recorded,
                Duration.ofSeconds(timeout)).join();
        long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        return switch (answer.outcome()) {
            case NOT_CONNECTED -> {
                committed(new CompleteDirectMethod(id.value(), requestId, methodName,
                        DirectMethodCompleted.NOT_CONNECTED, null, null, millis), audit);
                throw notConnected(id);
            }
            case TIMED_OUT -> {
                committed(new CompleteDirectMethod(id.value(), requestId, methodName, DirectMethodCompleted.TIMED_OUT,
                        null, null, millis), audit);
                throw new TwinException(TwinError.of(ErrorKind.GATEWAY_TIMEOUT, "deviceTimeout", "device " + id
                        + " did not answer " + methodName + " within " + timeout + " s"));
            }
            case ANSWERED -> answered(id, requestId, methodName, answer, millis, audit);
        };
    }

    /** Records the answer and gives it to the caller; one the platform cannot keep is recorded without its payload. */
    private ResponseEntity<JsonNode> answered(TwinId id, String requestId, String methodName,
                                              DeviceMethodChannel.Answer answer, long millis, AuditMetadata audit) {
        JsonNode payload;
        try {
            payload = answer.payload() == null || answer.payload().length == 0 ? null
                    : JsonBodies.parse(answer.payload(), "$.payload");
            validator.checkValue(payload, MAX_PAYLOAD_BYTES, "$.payload");
        } catch (TwinException refused) {
            committed(new CompleteDirectMethod(id.value(), requestId, methodName,
                    DirectMethodCompleted.INVALID_ANSWER, answer.status(), null, millis), audit);
            throw new TwinException(TwinError.of(ErrorKind.BAD_GATEWAY, "invalidDeviceAnswer", "device " + id
                    + " answered " + methodName + " with status " + answer.status() + " and a payload the platform"
                    + " does not keep: " + refused.error().detail()));
        }
        JsonNode recorded = payload == null || payload.isNull() ? null : payload;
        committed(new CompleteDirectMethod(id.value(), requestId, methodName, DirectMethodCompleted.ANSWERED,
                answer.status(), recorded, millis), audit);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("status", answer.status());
        body.set("payload", recorded == null ? JsonNodeFactory.instance.nullNode() : recorded);
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }

    private static TwinException notConnected(TwinId id) {
        return new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "deviceNotConnected", "device " + id
                + " is not connected, or not subscribed to method calls"));
    }

    /** Sends a command and waits for its commit (not for the read side: the twin's sections do not change). */
    private void committed(TwinCommands command, AuditMetadata audit) {
        try {
            dispatcher.sendCommitted(command, audit).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** An optional whole number of seconds in {@code [min, max]}. */
    private static int seconds(ObjectNode call, String member, int fallback, int min, int max) {
        JsonNode value = call.get(member);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < min || value.intValue() > max) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidTimeout", "$." + member,
                    member + " is a whole number of seconds from " + min + " to " + max));
        }
        return value.intValue();
    }
}
