package io.twinplatform.api.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.OperatorIds;
import io.twinplatform.api.query.Source;
import io.twinplatform.api.query.TwinQuery;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A configuration as an operator writes it (Azure's automatic device management shape): which twins
 * ({@code targetCondition}), how strongly ({@code priority}), what it sets ({@code content.deviceContent} for device
 * twins, {@code content.moduleContent} for module twins), custom {@code metrics} queries and {@code labels}. Parsing
 * checks everything a client can get wrong and names the path at fault; nothing here touches a twin.
 */
public record ConfigurationSpec(String id, String targetCondition, int priority, ObjectNode deviceContent,
                                ObjectNode moduleContent, Map<String, String> metrics, Map<String, String> labels,
                                boolean staged) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_\\-]{1,64}");
    private static final Set<String> MEMBERS = Set.of("id", "targetCondition", "priority", "content", "metrics",
            "labels", "staged", "etag", "systemMetrics", "metricsResults", "createdTimeUtc", "lastUpdatedTimeUtc",
            "rollout");

    public ConfigurationSpec {
        deviceContent = deviceContent == null ? JsonNodeFactory.instance.objectNode() : deviceContent.deepCopy();
        moduleContent = moduleContent == null ? JsonNodeFactory.instance.objectNode() : moduleContent.deepCopy();
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** Parses {@code PUT /configurations/{id}}'s body; read-only members a {@code GET} returns are ignored. */
    public static ConfigurationSpec parse(String id, JsonNode body) {
        checkId(id);
        if (body == null || !body.isObject()) {
            throw malformed("invalidConfiguration", "$", "a configuration is a JSON object");
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!MEMBERS.contains(name)) {
                throw malformed("unknownMember", "$." + name, "a configuration has no member '" + name + "'; it has"
                        + " targetCondition, priority, content, metrics and labels");
            }
        });
        if (body.hasNonNull("id") && !id.equals(body.get("id").asText())) {
            throw malformed("idMismatch", "$.id", "the body's id '" + body.get("id").asText() + "' is not the id in"
                    + " the path, '" + id + "'");
        }
        JsonNode condition = body.get("targetCondition");
        if (condition == null || !condition.isTextual() || condition.asText().isBlank()) {
            throw malformed("missingTargetCondition", "$.targetCondition", "targetCondition is required: a condition"
                    + " such as tags.environment='prod', or * for every twin");
        }
        TwinQuery target;
        try {
            target = TwinQuery.parseTargetCondition(condition.asText());
        } catch (TwinException e) {
            throw new TwinException(TwinError.at(e.error().kind(), e.error().code(),
                    "$.targetCondition" + (e.error().path() == null ? "" : e.error().path()), e.error().detail()));
        }
        JsonNode priority = body.get("priority");
        if (priority != null && !priority.isNull() && !(priority.canConvertToInt() && priority.isIntegralNumber()
                && priority.asInt() >= 0)) {
            throw unprocessable("invalidPriority", "$.priority", "priority is a whole number from 0 up; the highest"
                    + " wins where configurations meet");
        }
        JsonNode content = body.get("content");
        if (content == null || !content.isObject()) {
            throw malformed("missingContent", "$.content", "content is required: {\"deviceContent\":{…}} and/or"
                    + " {\"moduleContent\":{…}}");
        }
        ObjectNode device = section(content, "deviceContent");
        ObjectNode module = section(content, "moduleContent");
        if (device.isEmpty() && module.isEmpty()) {
            throw unprocessable("emptyContent", "$.content", "content sets nothing: give deviceContent or"
                    + " moduleContent at least one path");
        }
        if (target.source() == Source.MODULES && !device.isEmpty()) {
            throw unprocessable("contentNeverApplies", "$.content.deviceContent", "the target condition selects FROM"
                    + " devices.modules, so deviceContent would never reach a twin; use moduleContent");
        }
        JsonNode staged = body.get("staged");
        if (staged != null && !staged.isNull() && !staged.isBoolean()) {
            throw malformed("invalidStaged", "$.staged", "staged is true (only rollouts apply the configuration) or"
                    + " false");
        }
        return new ConfigurationSpec(id, condition.asText(), priority == null || priority.isNull() ? 0 : priority.asInt(),
                device, module, metrics(body.get("metrics")), labels(body.get("labels")),
                staged != null && staged.asBoolean());
    }

    /** Whether {@code other} sets the same content: content cannot change once a configuration exists. */
    public boolean sameContent(ConfigurationSpec other) {
        return deviceContent.equals(other.deviceContent) && moduleContent.equals(other.moduleContent)
                && staged == other.staged;
    }

    public static void checkId(String id) {
        if (!OperatorIds.valid(id)) {
            throw malformed("invalidConfigurationId", "id", "a configuration id is " + OperatorIds.RULE);
        }
    }

    private static ObjectNode section(JsonNode content, String name) {
        JsonNode section = content.get(name);
        if (section == null || section.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!section.isObject()) {
            throw malformed("invalidContent", "$.content." + name, name + " is an object of paths such as"
                    + " properties.desired.telemetryConfig");
        }
        ConfigurationContent.desired((ObjectNode) section, "$.content." + name);
        return (ObjectNode) section;
    }

    private static Map<String, String> metrics(JsonNode metrics) {
        Map<String, String> queries = new LinkedHashMap<>();
        if (metrics == null || metrics.isNull()) {
            return queries;
        }
        JsonNode list = metrics.get("queries");
        if (!metrics.isObject() || list != null && !list.isObject()) {
            throw malformed("invalidMetrics", "$.metrics", "metrics is {\"queries\":{\"name\":\"SELECT deviceId FROM"
                    + " devices WHERE …\"}}");
        }
        if (list == null) {
            return queries;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = list.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> query = it.next();
            String path = "$.metrics.queries." + query.getKey();
            if (!NAME.matcher(query.getKey()).matches() || !query.getValue().isTextual()) {
                throw malformed("invalidMetric", path, "a metric is a name of letters, digits, _ or - and a query"
                        + " text");
            }
            try {
                TwinQuery.parse(query.getValue().asText());
            } catch (TwinException e) {
                throw new TwinException(TwinError.at(e.error().kind(), e.error().code(),
                        path + (e.error().path() == null ? "" : e.error().path()), e.error().detail()));
            }
            queries.put(query.getKey(), query.getValue().asText());
        }
        return queries;
    }

    private static Map<String, String> labels(JsonNode labels) {
        Map<String, String> result = new LinkedHashMap<>();
        if (labels == null || labels.isNull()) {
            return result;
        }
        if (!labels.isObject()) {
            throw malformed("invalidLabels", "$.labels", "labels is an object of strings");
        }
        labels.fields().forEachRemaining(label -> {
            if (!label.getValue().isTextual()) {
                throw malformed("invalidLabels", "$.labels." + label.getKey(), "a label's value is a string");
            }
            result.put(label.getKey(), label.getValue().asText());
        });
        return result;
    }

    private static TwinException malformed(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, code, path, detail));
    }

    private static TwinException unprocessable(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, code, path, detail));
    }
}
