package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * An AWS Device Shadow update of the twin. For each section, Java {@code null} leaves it alone, a JSON
 * {@code null} clears it, an object merge-patches it. {@code expectedVersion} is the shadow's {@code version}
 * ({@code null}: any). Handled as one unit: both sections change, or neither.
 */
public record UpdateShadow(@TargetAggregateIdentifier String twinId,
                           JsonNode desired,
                           JsonNode reported,
                           Long expectedVersion,
                           String clientToken) implements TwinCommands {

    /**
     * The update an AWS shadow request document asks for ({@code {"state": {"desired", "reported"}, "version",
     * "clientToken"}}), read the same way whichever channel it came on (HTTP's {@code POST …/shadow}, AWS's MQTT
     * {@code …/shadow/update}); other top-level members are ignored, as AWS does. Refused ({@link ErrorKind#MALFORMED})
     * without {@code state} ({@code missingState}), with a {@code state}, {@code desired} or {@code reported} that is
     * neither an object nor null ({@code notAnObject} at its path), or a {@code version} that is not an integer
     * ({@code invalidVersion}). The sections' content is checked by the twin, with every other write.
     *
     * @param clientToken the request's {@code clientToken}, already read with {@link JsonBodies#clientToken}
     */
    public static UpdateShadow fromRequest(String twinId, ObjectNode request, String clientToken) {
        if (!request.has("state")) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "missingState", "$.state",
                    "a shadow update needs a state"));
        }
        JsonNode state = request.get("state");
        JsonNode desired;
        JsonNode reported;
        if (state.isNull()) {
            desired = state;
            reported = state;
        } else {
            ObjectNode stateObject = JsonBodies.object(state, "$.state");
            desired = section(stateObject.get("desired"), "$.state.desired");
            reported = section(stateObject.get("reported"), "$.state.reported");
        }
        Long version = null;
        JsonNode versionNode = request.get("version");
        if (versionNode != null && !versionNode.isNull()) {
            if (!versionNode.canConvertToExactIntegral()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidVersion", "$.version",
                        "version must be an integer"));
            }
            version = versionNode.asLong();
        }
        return new UpdateShadow(twinId, desired, reported, version, clientToken);
    }

    /** AWS's delete of a shadow: both sections cleared; the twin itself stays, with its tags and its history. */
    public static UpdateShadow clearing(String twinId, String clientToken) {
        return new UpdateShadow(twinId, NullNode.instance, NullNode.instance, null, clientToken);
    }

    private static JsonNode section(JsonNode section, String path) {
        if (section == null || section.isNull()) {
            return section;
        }
        return JsonBodies.object(section, path);
    }
}
