package io.twinplatform.history.kafka;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
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

/**
 * The Kafka stream for operators: its state and lag, and a replay from an instant or a global index. Served whether
 * the stream is on or not (it says {@code "off"}), so the application imports it beside
 * {@link TwinKafkaConfiguration}.
 */
@RestController
@Tag(name = "admin", description = "Operating the platform's projections")
public class KafkaAdminController {

    private final ObjectProvider<KafkaStream> stream;

    KafkaAdminController(ObjectProvider<KafkaStream> stream) {
        this.stream = stream;
    }

    @Operation(summary = "The Kafka stream: state (running, replaying, stalled, stopped), lag, position, topics and"
            + " the last error; {\"state\":\"off\"} without TWIN_KAFKA_BOOTSTRAP")
    @GetMapping("/admin/kafka")
    Map<String, Object> status() {
        KafkaStream kafka = stream.getIfAvailable();
        return kafka == null ? Map.of("state", "off") : kafka.describe();
    }

    @Operation(summary = "Send the twin events again from an instant or a global index (202). Records keep their"
            + " CloudEvent ids, so consumers drop what they had; the state topic is left as it is")
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
