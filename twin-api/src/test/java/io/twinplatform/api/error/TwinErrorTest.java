package io.twinplatform.api.error;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.model.JsonBodies;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** One problem document for every channel: HTTP answers with it, MQTT publishes it on the rejected topic. */
class TwinErrorTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void aRefusalAtAPathHasEveryProblemMemberAndThePath() {
        TwinError error = TwinError.at(ErrorKind.MALFORMED, "invalidClientToken", "$.clientToken",
                "clientToken must be a string of 1 to 64 bytes");

        assertThat(error.toProblem()).isEqualTo(json("""
                {"type": "urn:twin-platform:problem:invalidClientToken", "title": "Malformed request", "status": 400,
                 "detail": "clientToken must be a string of 1 to 64 bytes", "code": "invalidClientToken",
                 "path": "$.clientToken"}"""));
    }

    @Test
    void anOffsetPathBecomesANumericPosition() {
        TwinError error = new TwinError(ErrorKind.MALFORMED, "malformedJson", "malformed JSON at offset 12", "@12");

        JsonNode problem = error.toProblem();

        assertThat(problem.get("position").isIntegralNumber()).isTrue();
        assertThat(problem.get("position").longValue()).isEqualTo(12);
        assertThat(problem.has("path")).isFalse();
    }

    @Test
    void theOffsetOfAParsedBodyIsThePositionOfItsProblem() {
        TwinException refusal = catchThrowableOfType(
                () -> JsonBodies.parseObject("{\"state\": Connected}".getBytes(StandardCharsets.UTF_8)),
                TwinException.class);

        JsonNode problem = refusal.error().toProblem();

        assertThat(problem.get("code").textValue()).isEqualTo("malformedJson");
        assertThat(problem.get("position").longValue()).isEqualTo(Long.parseLong(refusal.error().path().substring(1)));
        assertThat(problem.get("position").longValue()).isBetween(10L, 19L);
    }

    @Test
    void aRefusalWithoutAPathHasNeitherPathNorPosition() {
        TwinError error = TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound", "twin dev-1 does not exist");

        assertThat(error.toProblem()).isEqualTo(json("""
                {"type": "urn:twin-platform:problem:twinNotFound", "title": "Not found", "status": 404,
                 "detail": "twin dev-1 does not exist", "code": "twinNotFound"}"""));
    }

    @Test
    void findsTheRefusalInsideWrappers() {
        TwinException refusal = new TwinException(
                TwinError.of(ErrorKind.CONFLICT, "versionConflict", "Version conflict"));

        assertThat(TwinException.find(refusal)).isSameAs(refusal);
        assertThat(TwinException.find(new CompletionException(new ExecutionException(refusal)))).isSameAs(refusal);
    }

    @Test
    void findsNoRefusalInAnotherFailure() {
        assertThat(TwinException.find(new IllegalStateException("broken", new RuntimeException("cause")))).isNull();
        assertThat(TwinException.find(null)).isNull();
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
