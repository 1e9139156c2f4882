package io.twinplatform.deploy.provisioning;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;

/**
 * An enrollment group: the devices it takes (a list of ids, or a pattern where {@code *} stands for any run of
 * characters), the twin a device of the group gets when it first connects, and whether it takes new devices now.
 *
 * @param deviceIds the ids it takes, or null when a pattern names them
 * @param pattern   the pattern, or null when a list names them
 * @param version   counts its changes: its etag
 */
public record Enrollment(String id, List<String> deviceIds, String pattern, ObjectNode tags, ObjectNode desired,
                         boolean enabled, long version, Instant createdAt, Instant updatedAt, String updatedBy) {

    /** The principal of the twin it creates: {@code enrollment:<id>}. */
    public String principal() {
        return "enrollment:" + id;
    }

    /** Its etag. */
    public String etag() {
        return "\"" + version + "\"";
    }

    /** As the API shows it. */
    ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("enrollmentId", id);
        if (deviceIds != null) {
            deviceIds.forEach(json.putArray("deviceIds")::add);
        } else {
            json.put("deviceIdPattern", pattern);
        }
        ObjectNode twin = json.putObject("initialTwin");
        twin.set("tags", tags.deepCopy());
        twin.putObject("properties").set("desired", desired.deepCopy());
        json.put("provisioningStatus", enabled ? "enabled" : "disabled");
        json.put("etag", etag());
        json.put("createdDateTimeUtc", createdAt.toString());
        json.put("lastUpdatedDateTimeUtc", updatedAt.toString());
        json.put("updatedBy", updatedBy);
        return json;
    }
}
