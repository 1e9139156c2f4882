package io.twinplatform.deploy.provisioning;

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
import io.twinplatform.api.model.Etags;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.JsonMergePatch;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.twin.TwinId;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * Enrollment groups, for zero-touch provisioning (docs/devices.md): {@code PUT /enrollments/{id}} names the devices a
 * group takes (a list of ids, or a pattern where {@code *} stands for any run of characters), the twin each gets
 * (tags, desired properties) when it first connects with its key, and whether the group takes new devices. Every
 * device key derives from the fleet secret, so a group holds no key. Scoped callers cannot use these: a group
 * creates twins anywhere.
 */
@RestController
@Tag(name = "enrollments", description = "Zero-touch provisioning of new devices")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class EnrollmentController {

    /** A group as written; documentation only. */
    @Schema(name = "EnrollmentWrite", description = "exactly one of deviceIds and deviceIdPattern")
    record EnrollmentWrite(@Schema(description = "the device ids it takes (1 to 1000)") List<String> deviceIds,
                           @Schema(description = "the ids it takes: * stands for any run of characters")
                           String deviceIdPattern,
                           @Schema(description = "{\"tags\": {…}, \"properties\": {\"desired\": {…}}}")
                           Map<String, Object> initialTwin,
                           @Schema(allowableValues = {"enabled", "disabled"}, defaultValue = "enabled")
                           String provisioningStatus) {
    }

    /** A group as stored; documentation only. */
    @Schema(name = "Enrollment")
    record EnrollmentRead(String enrollmentId, List<String> deviceIds, String deviceIdPattern,
                          Map<String, Object> initialTwin, String provisioningStatus, String etag,
                          String createdDateTimeUtc, String lastUpdatedDateTimeUtc, String updatedBy) {
    }

    /** Every group; documentation only. */
    @Schema(name = "EnrollmentList")
    record EnrollmentList(List<EnrollmentRead> items) {
    }

    private static final Logger log = LoggerFactory.getLogger(EnrollmentController.class);
    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String EXAMPLE = "{\"deviceIdPattern\":\"plant7-*\",\"initialTwin\":{\"tags\":"
            + "{\"site\":\"plant-7\",\"deviceType\":\"thermostat\"},\"properties\":{\"desired\":"
            + "{\"telemetryInterval\":60}}},\"provisioningStatus\":\"enabled\"}";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.%_*?!(),:=@$']{1,128}");
    private static final int MAX_IDS = 1000;

    private final EnrollmentStore store;
    private final TwinValidator validator;

    EnrollmentController(EnrollmentStore store, TwinValidator validator) {
        this.store = store;
        this.validator = validator;
    }

    @Operation(summary = "Create or replace an enrollment group: the devices it takes and the twin each gets when it"
            + " first connects",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content =
            @Content(mediaType = JSON, schema = @Schema(implementation = EnrollmentWrite.class),
                    examples = @ExampleObject(name = "group", value = EXAMPLE))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "replaced", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = EnrollmentRead.class))),
                    @ApiResponse(responseCode = "201", description = "created", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = EnrollmentRead.class))),
                    @ApiResponse(responseCode = "400", description = "a bad id, pattern, list or twin",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "412", description = "If-Match does not match the group's etag",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = "tags or desired over their limits",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "values a twin could not hold",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PutMapping(path = "/enrollments/{enrollmentId}", produces = JSON)
    ResponseEntity<JsonNode> put(@PathVariable String enrollmentId, @RequestBody(required = false) byte[] body,
                                 @RequestHeader(name = "If-Match", required = false) String ifMatch,
                                 HttpServletRequest request) {
        requireId(enrollmentId, "enrollmentId");
        ObjectNode group = JsonBodies.parseObject(body);
        JsonNode ids = group.get("deviceIds");
        JsonNode pattern = group.get("deviceIdPattern");
        if ((ids == null || ids.isNull()) == (pattern == null || pattern.isNull())) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidEnrollment", "$",
                    "an enrollment names its devices by deviceIds or by deviceIdPattern, exactly one of them"));
        }
        List<String> deviceIds = ids == null || ids.isNull() ? null : deviceIds(ids);
        String idPattern = pattern == null || pattern.isNull() ? null : pattern(pattern);
        JsonNode twin = group.get("initialTwin");
        ObjectNode initial = twin == null || twin.isNull() ? JsonNodeFactory.instance.objectNode()
                : JsonBodies.object(twin, "$.initialTwin");
        ObjectNode tags = section(initial.get("tags"), "$.initialTwin.tags");
        JsonNode properties = initial.get("properties");
        ObjectNode desired = section(properties == null || properties.isNull() ? null
                : JsonBodies.object(properties, "$.initialTwin.properties").get("desired"),
                "$.initialTwin.properties.desired");
        validator.checkSize(tags, validator.limits().maxTagsBytes(), "$.initialTwin.tags");
        validator.checkSize(desired, validator.limits().maxDesiredBytes(), "$.initialTwin.properties.desired");
        boolean enabled = status(group.get("provisioningStatus"));
        Long expected = ifMatch == null ? null : Etags.expectedVersion(ifMatch);
        String by = request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName();
        Enrollment stored = store.put(enrollmentId, deviceIds, idPattern, tags, desired, enabled, expected, by)
                .orElseThrow(() -> new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "etagMismatch",
                        "If-Match " + ifMatch + " does not match enrollment " + enrollmentId)));
        log.info("{} {} enrollment {} ({})", by, stored.version() == 1 ? "created" : "replaced", enrollmentId,
                enabled ? "enabled" : "disabled");
        return ResponseEntity.status(stored.version() == 1 ? HttpStatus.CREATED : HttpStatus.OK)
                .eTag(stored.etag()).body(stored.toJson());
    }

    @Operation(summary = "An enrollment group",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the group, with its etag",
                            content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = EnrollmentRead.class))),
                    @ApiResponse(responseCode = "400", description = "a bad id",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such group (enrollmentNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping(path = "/enrollments/{enrollmentId}", produces = JSON)
    ResponseEntity<JsonNode> get(@PathVariable String enrollmentId) {
        requireId(enrollmentId, "enrollmentId");
        Enrollment group = store.find(enrollmentId).orElseThrow(() -> notFound(enrollmentId));
        return ResponseEntity.ok().eTag(group.etag()).body(group.toJson());
    }

    @Operation(summary = "Every enrollment group, by id",
            responses = @ApiResponse(responseCode = "200", description = "{\"items\": [enrollment…]}",
                    content = @Content(mediaType = JSON, schema = @Schema(implementation = EnrollmentList.class))))
    @GetMapping(path = "/enrollments", produces = JSON)
    ObjectNode list() {
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        ArrayNode items = answer.putArray("items");
        store.all().forEach(group -> items.add(group.toJson()));
        return answer;
    }

    @Operation(summary = "Delete an enrollment group: devices it provisioned keep their twins; new ones are no longer"
            + " provisioned",
            responses = {
                    @ApiResponse(responseCode = "204", description = "deleted"),
                    @ApiResponse(responseCode = "400", description = "a bad id",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such group (enrollmentNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @DeleteMapping(path = "/enrollments/{enrollmentId}")
    ResponseEntity<Void> delete(@PathVariable String enrollmentId, HttpServletRequest request) {
        requireId(enrollmentId, "enrollmentId");
        if (!store.delete(enrollmentId)) {
            throw notFound(enrollmentId);
        }
        log.info("{} deleted enrollment {}", request.getUserPrincipal() == null ? "anonymous"
                : request.getUserPrincipal().getName(), enrollmentId);
        return ResponseEntity.noContent().build();
    }

    private List<String> deviceIds(JsonNode ids) {
        if (!ids.isArray() || ids.isEmpty() || ids.size() > MAX_IDS) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidEnrollment", "$.deviceIds",
                    "deviceIds is an array of 1 to " + MAX_IDS + " device ids"));
        }
        LinkedHashSet<String> unique = new LinkedHashSet<>();
        for (int i = 0; i < ids.size(); i++) {
            JsonNode id = ids.get(i);
            if (!id.isTextual()) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidId", "$.deviceIds[" + i + "]",
                        "a device id is a string"));
            }
            TwinId.device(id.textValue());
            unique.add(id.textValue());
        }
        return new ArrayList<>(unique);
    }

    private static String pattern(JsonNode pattern) {
        if (!pattern.isTextual() || !ID.matcher(pattern.textValue()).matches()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidPattern", "$.deviceIdPattern",
                    "deviceIdPattern is 1 to 128 of the device id characters, * standing for any run of them"));
        }
        return pattern.textValue();
    }

    /** A section of the initial twin: an object whose values a twin can hold (nulls dropped). */
    private ObjectNode section(JsonNode section, String path) {
        if (section == null || section.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        validator.checkContent(section, path);
        return JsonMergePatch.withoutNulls(JsonBodies.object(section, path));
    }

    private static boolean status(JsonNode status) {
        if (status == null || status.isNull()) {
            return true;
        }
        if (status.isTextual() && (status.textValue().equals("enabled") || status.textValue().equals("disabled"))) {
            return status.textValue().equals("enabled");
        }
        throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidStatus", "$.provisioningStatus",
                "provisioningStatus is \"enabled\" or \"disabled\""));
    }

    private static void requireId(String id, String name) {
        if (!ID.matcher(id).matches()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidId", name,
                    name + " must be 1 to 128 characters of A-Z a-z 0-9 - . % _ * ? ! ( ) , : = @ $ '"));
        }
    }

    private static TwinException notFound(String id) {
        return new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "enrollmentNotFound",
                "enrollment " + id + " does not exist"));
    }
}
