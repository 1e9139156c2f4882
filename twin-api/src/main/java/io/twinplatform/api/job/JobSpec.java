package io.twinplatform.api.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.OperatorIds;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.JsonMergePatch;
import io.twinplatform.api.model.JsonPath;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.model.TwinValidator;
import io.twinplatform.api.query.TwinQuery;

import java.time.Instant;
import java.util.Iterator;
import java.util.Set;

/**
 * A bulk twin update job as an operator writes it, in Azure IoT Hub's jobs shape:
 * {@code {"type":"scheduleUpdateTwin","queryCondition":…,"updateTwin":{"tags":…,"properties":{"desired":…}},
 * "startTime":…,"maxExecutionTimeInSeconds":…}}. Parsing checks everything a client can get wrong and names the path
 * at fault, so a job that is accepted can always be run; nothing here touches a twin.
 *
 * @param tags    the merge patch of tags every selected twin gets, or {@code null} to leave tags alone
 * @param desired the merge patch of desired properties, or {@code null} to leave them alone
 */
public record JobSpec(String jobId, String type, String queryCondition, ObjectNode tags, ObjectNode desired,
                      Instant startTime, int maxExecutionTimeInSeconds) {

    /** The one job type supported: merge-patch tags and/or desired properties of the selected twins. */
    public static final String SCHEDULE_UPDATE_TWIN = "scheduleUpdateTwin";
    /** How long a job may run when the request does not say: one hour. */
    public static final int DEFAULT_MAX_EXECUTION_TIME_IN_SECONDS = 3600;

    /** Members a job request may have; the read-only ones a {@code GET} returns are ignored, so a read job resends. */
    private static final Set<String> MEMBERS = Set.of("jobId", "type", "queryCondition", "updateTwin", "startTime",
            "maxExecutionTimeInSeconds", "createdTime", "endTime", "status", "failureReason", "statusMessage",
            "deviceJobStatistics");
    private static final String UPDATE = "$.updateTwin";
    private static final String TAGS = "$.updateTwin.tags";
    private static final String DESIRED = "$.updateTwin.properties.desired";

    public JobSpec {
        tags = tags == null ? null : tags.deepCopy();
        desired = desired == null ? null : desired.deepCopy();
    }

    /** When the job must be through: {@code startTime + maxExecutionTimeInSeconds}. */
    public Instant deadline() {
        return startTime.plusSeconds(maxExecutionTimeInSeconds);
    }

    /**
     * Parses {@code PUT /jobs/{id}}'s body. A {@code startTime} that is absent or already past becomes {@code now}
     * (the job may start at once). The update is checked against {@code validator}'s limits as a twin patch is; a
     * twin whose result would break a limit is still refused when the job reaches it (and counted as failed).
     */
    public static JobSpec parse(String jobId, JsonNode body, Instant now, TwinValidator validator) {
        checkId(jobId);
        if (body == null || !body.isObject()) {
            throw malformed("invalidJob", "$", "a job is a JSON object");
        }
        checkType(body.get("type"));
        body.fieldNames().forEachRemaining(name -> {
            if (!MEMBERS.contains(name)) {
                throw malformed("unknownMember", JsonPath.child("$", name), "a " + SCHEDULE_UPDATE_TWIN
                        + " job has no member '" + name + "'; it has type, queryCondition, updateTwin, startTime and"
                        + " maxExecutionTimeInSeconds");
            }
        });
        JsonNode bodyId = body.get("jobId");
        if (bodyId != null && !bodyId.isNull() && !jobId.equals(bodyId.asText())) {
            throw malformed("idMismatch", "$.jobId", "the body's jobId '" + bodyId.asText() + "' is not the id in the"
                    + " path, '" + jobId + "'");
        }
        String condition = queryCondition(body.get("queryCondition"));
        ObjectNode update = JsonBodies.object(required(body.get("updateTwin"), "missingUpdateTwin", UPDATE,
                "updateTwin is required: {\"tags\":{…}} and/or {\"properties\":{\"desired\":{…}}}"), UPDATE);
        checkUpdateMembers(update);
        ObjectNode tags = section(update.get("tags"), TAGS, validator, validator.limits().maxTagsBytes());
        ObjectNode properties = JsonBodies.object(update.get("properties"), "$.updateTwin.properties");
        if (properties != null) {
            checkPropertiesMembers(properties);
        }
        ObjectNode desired = properties == null ? null
                : section(properties.get("desired"), DESIRED, validator, validator.limits().maxDesiredBytes());
        if ((tags == null || tags.isEmpty()) && (desired == null || desired.isEmpty())) {
            throw unprocessable("emptyUpdate", UPDATE, "updateTwin changes nothing: give tags and/or"
                    + " properties.desired at least one key");
        }
        Instant start = startTime(body.get("startTime"), now);
        int maxSeconds = maxExecutionTime(body.get("maxExecutionTimeInSeconds"));
        return new JobSpec(jobId, SCHEDULE_UPDATE_TWIN, condition, tags, desired, start, maxSeconds);
    }

    /** Refuses ({@code 400 invalidJobId} at {@code jobId}) an id outside the configuration id rule. */
    public static void checkId(String jobId) {
        if (!OperatorIds.valid(jobId)) {
            throw malformed("invalidJobId", "jobId", "a job id is " + OperatorIds.RULE);
        }
    }

    private static void checkType(JsonNode type) {
        if (type == null || type.isNull()) {
            throw malformed("missingType", "$.type", "type is required; the supported type is " + SCHEDULE_UPDATE_TWIN);
        }
        if (!type.isTextual()) {
            throw malformed("invalidType", "$.type", "type is a string; the supported type is " + SCHEDULE_UPDATE_TWIN);
        }
        if (!SCHEDULE_UPDATE_TWIN.equals(type.textValue())) {
            throw unprocessable("unsupportedJobType", "$.type", "jobs of type '" + type.textValue() + "' are not"
                    + " supported; the supported type is " + SCHEDULE_UPDATE_TWIN);
        }
    }

    private static String queryCondition(JsonNode condition) {
        if (condition == null || !condition.isTextual() || condition.textValue().isBlank()) {
            throw malformed("missingQueryCondition", "$.queryCondition", "queryCondition is required: a condition"
                    + " such as tags.environment='prod', or * for every twin");
        }
        try {
            TwinQuery.parseTargetCondition(condition.textValue());
        } catch (TwinException e) {
            throw new TwinException(TwinError.at(e.error().kind(), e.error().code(),
                    "$.queryCondition" + (e.error().path() == null ? "" : e.error().path()), e.error().detail()));
        }
        return condition.textValue();
    }

    private static void checkUpdateMembers(ObjectNode update) {
        for (Iterator<String> it = update.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.equals("etag")) {
                JsonNode etag = update.get(name);
                if (!etag.isNull() && !"*".equals(etag.asText())) {
                    throw unprocessable("etagNotSupported", "$.updateTwin.etag", "a job updates whatever version"
                            + " each twin is at: its etag can only be \"*\"");
                }
            } else if (!name.equals("tags") && !name.equals("properties")) {
                throw malformed("unknownMember", JsonPath.child(UPDATE, name), "a job updates tags and"
                        + " properties.desired only; $.updateTwin." + name + " cannot be set");
            }
        }
    }

    private static void checkPropertiesMembers(ObjectNode properties) {
        for (Iterator<String> it = properties.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.equals("reported")) {
                throw malformed("readOnlyMember", "$.updateTwin.properties.reported", "reported properties are"
                        + " written by the device; a job sets properties.desired");
            }
            if (!name.equals("desired")) {
                throw malformed("unknownMember", JsonPath.child("$.updateTwin.properties", name),
                        "a twin's properties are desired and reported only");
            }
        }
    }

    /** A section patch: absent is {@code null}; JSON {@code null} is refused as in {@code PATCH /twins/{id}}. */
    private static ObjectNode section(JsonNode section, String path, TwinValidator validator, int maxBytes) {
        if (section != null && section.isNull()) {
            throw malformed("nullSection", path, path + " cannot be null; give a merge patch object ({} changes"
                    + " nothing)");
        }
        ObjectNode patch = JsonBodies.object(section, path);
        if (patch != null) {
            validator.checkContent(patch, path);
            validator.checkSize(JsonMergePatch.withoutNulls(patch), maxBytes, path);
        }
        return patch;
    }

    private static Instant startTime(JsonNode start, Instant now) {
        if (start == null || start.isNull()) {
            return now;
        }
        Instant at = start.isTextual() ? Timestamps.bounded(start.textValue()) : null;
        if (at == null) {
            throw malformed("invalidStartTime", "$.startTime", "startTime is an ISO-8601 instant as a string, from"
                    + " 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, like 2026-11-24T03:12:00Z");
        }
        return at.isBefore(now) ? now : at;
    }

    private static int maxExecutionTime(JsonNode seconds) {
        if (seconds == null || seconds.isNull()) {
            return DEFAULT_MAX_EXECUTION_TIME_IN_SECONDS;
        }
        if (!seconds.isIntegralNumber() || !seconds.canConvertToInt() || seconds.intValue() < 1) {
            throw unprocessable("invalidMaxExecutionTime", "$.maxExecutionTimeInSeconds", "maxExecutionTimeInSeconds"
                    + " is a whole number of seconds from 1 up (default " + DEFAULT_MAX_EXECUTION_TIME_IN_SECONDS + ")");
        }
        return seconds.intValue();
    }

    private static JsonNode required(JsonNode node, String code, String path, String detail) {
        if (node == null || node.isNull()) {
            throw malformed(code, path, detail);
        }
        return node;
    }

    private static TwinException malformed(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, code, path, detail));
    }

    private static TwinException unprocessable(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, code, path, detail));
    }
}
