package io.twinplatform.history.kafka;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * The Kafka stream for operators: its state and lag, and a replay from an instant or a global index. Served whether
 * the stream is on or not (it says {@code "off"}), so the application imports it beside
 * {@link TwinKafkaConfiguration}.
 */
@RestController
@Tag(name = "admin", description = "Operating the platform's projections")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
public class KafkaAdminController {

    /** {@code GET /admin/kafka}; documentation only. Without Kafka: {@code {"state":"off"}} alone. */
    @Schema(name = "KafkaStream")
    record Status(@Schema(allowableValues = {"running", "replaying", "stalled", "stopped", "off"}) String state,
                  long lag, long position, long head, long published, String lastPublishedAt, String lastError,
                  String stalledSince, String bootstrapServers, String eventsTopic, String stateTopic) {
    }

    /** {@code POST /admin/kafka/replay}; documentation only. */
    @Schema(name = "KafkaReplay")
    record Replay(String from, long fromGlobalIndex, long head, long events,
                  @Schema(allowableValues = "replaying") String state) {
    }

    private final ObjectProvider<KafkaStream> stream;

    KafkaAdminController(ObjectProvider<KafkaStream> stream) {
        this.stream = stream;
    }

    @Operation(summary = "The Kafka stream: state (running, replaying, stalled, stopped), lag, position, topics and"
            + " the last error; {\"state\":\"off\"} without TWIN_KAFKA_BOOTSTRAP",
            responses = @ApiResponse(responseCode = "200", description = "the stream's state", content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = Status.class))))
    @GetMapping("/admin/kafka")
    Map<String, Object> status() {
        KafkaStream kafka = stream.getIfAvailable();
        return kafka == null ? Map.of("state", "off") : kafka.describe();
    }

    @Operation(summary = "Send the twin events again from an instant or a global index (202). Records keep their"
            + " CloudEvent ids, so consumers drop what they had; the state topic is left as it is",
            responses = {
                    @ApiResponse(responseCode = "202", description = "the replay started", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = Replay.class))),
                    @ApiResponse(responseCode = "400", description = "from is neither an instant nor a global index"
                            + " (invalidFrom)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "the stream is off (kafkaOff) or replaying"
                            + " already (replayInProgress)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "from is in the future (fromInFuture)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping("/admin/kafka/replay")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Map<String, Object> replay(@Parameter(description = "an ISO-8601 instant (the first event at or after it) or a"
            + " global index (that event on; 0 for all)") @RequestParam(required = false) String from) {
        KafkaStream kafka = stream.getIfAvailable();
        if (kafka == null) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "kafkaOff",
                    "the Kafka stream is off: start the platform with TWIN_KAFKA_BOOTSTRAP set to the brokers"));
        }
        return kafka.replay(from);
    }
}
