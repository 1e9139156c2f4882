package io.twinplatform.api.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.api.configuration.ConfigurationSpec;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.OperatorIds;
import io.twinplatform.api.query.TwinQuery;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A rollout as an operator writes it ({@code POST /rollouts}): which staged configuration, its phases (cumulative
 * shares of the targeted twins), when a phase has succeeded (a configuration metric held at {@code minPercent} of
 * the rollout's twins for {@code soakSeconds}), when it has failed (more than {@code maxPercent} of them meet
 * {@code reportedCondition}), what failure does ({@code rollback} or {@code pause}), and how long a phase may take.
 */
public record RolloutSpec(String configurationId, List<Phase> phases, Success success, Failure failure,
                          OnFailure onFailure, long phaseTimeoutSeconds) {

    public record Phase(String name, double percent) {
    }

    public record Success(String metric, double minPercent, long soakSeconds) {
    }

    public record Failure(String reportedCondition, double maxPercent) {
    }

    public enum OnFailure { ROLLBACK, PAUSE }

    private static final Set<String> MEMBERS = Set.of("id", "configurationId", "phases", "success", "failure",
            "onFailure", "phaseTimeoutSeconds");

    public RolloutSpec {
        phases = List.copyOf(phases);
    }

    public List<Double> percents() {
        return phases.stream().map(Phase::percent).toList();
    }

    public static void checkId(String id) {
        if (!OperatorIds.valid(id)) {
            throw malformed("invalidRolloutId", "id", "a rollout id is " + OperatorIds.RULE);
        }
    }

    /** Parses {@code POST /rollouts}'s body; every mistake names its JSON path. */
    public static RolloutSpec parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw malformed("invalidRollout", "$", "a rollout is a JSON object");
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!MEMBERS.contains(name)) {
                throw malformed("unknownMember", "$." + name, "a rollout has no member '" + name + "'");
            }
        });
        JsonNode configuration = body.get("configurationId");
        if (configuration == null || !configuration.isTextual()) {
            throw malformed("missingConfigurationId", "$.configurationId", "configurationId names the staged"
                    + " configuration to roll out");
        }
        try {
            ConfigurationSpec.checkId(configuration.asText());
        } catch (TwinException e) {
            throw malformed("invalidConfigurationId", "$.configurationId", e.error().detail());
        }
        JsonNode phasesNode = body.get("phases");
        if (phasesNode == null || !phasesNode.isArray() || phasesNode.isEmpty() || phasesNode.size() > 20) {
            throw malformed("invalidPhases", "$.phases", "phases is an array of 1 to 20 {\"percent\":…}");
        }
        List<Phase> phases = new ArrayList<>();
        for (int i = 0; i < phasesNode.size(); i++) {
            JsonNode phase = phasesNode.get(i);
            String at = "$.phases[" + i + "]";
            if (!phase.isObject() || !phase.path("percent").isNumber()) {
                throw malformed("invalidPhases", at + ".percent", "each phase has a numeric percent");
            }
            JsonNode name = phase.get("name");
            if (name != null && !name.isNull() && !name.isTextual()) {
                throw malformed("invalidPhases", at + ".name", "a phase's name is a string");
            }
            phases.add(new Phase(name == null || name.isNull() ? "phase-" + (i + 1) : name.asText(),
                    phase.get("percent").asDouble()));
        }
        // The phase shares are checked where they are used, so the rules live in one place.
        new PhaseMembership("check", phases.stream().map(Phase::percent).toList());

        JsonNode success = object(body, "success");
        JsonNode metric = success.get("metric");
        if (metric == null || !metric.isTextual() || metric.asText().isBlank()) {
            throw malformed("invalidSuccess", "$.success.metric", "success.metric names a metric of the"
                    + " configuration (its metrics.queries)");
        }
        double minPercent = percent(success, "minPercent", "$.success.minPercent");
        long soak = seconds(success.get("soakSeconds"), "$.success.soakSeconds", 0, 0);

        JsonNode failureNode = object(body, "failure");
        JsonNode condition = failureNode.get("reportedCondition");
        if (condition == null || !condition.isTextual() || condition.asText().isBlank()) {
            throw malformed("invalidFailure", "$.failure.reportedCondition", "failure.reportedCondition is a"
                    + " condition on the twins, such as properties.reported.firmware.state = 'Error'");
        }
        try {
            TwinQuery.parseTargetCondition(condition.asText());
        } catch (TwinException e) {
            throw new TwinException(TwinError.at(e.error().kind(), e.error().code(), "$.failure.reportedCondition"
                    + (e.error().path() == null ? "" : e.error().path()), e.error().detail()));
        }
        double maxPercent = percent(failureNode, "maxPercent", "$.failure.maxPercent");

        JsonNode onFailure = body.get("onFailure");
        OnFailure action = OnFailure.ROLLBACK;
        if (onFailure != null && !onFailure.isNull()) {
            if (!onFailure.isTextual() || !Set.of("rollback", "pause").contains(onFailure.asText())) {
                throw malformed("invalidOnFailure", "$.onFailure", "onFailure is \"rollback\" or \"pause\"");
            }
            action = onFailure.asText().equals("pause") ? OnFailure.PAUSE : OnFailure.ROLLBACK;
        }
        long timeout = seconds(body.get("phaseTimeoutSeconds"), "$.phaseTimeoutSeconds", 3600, 1);
        return new RolloutSpec(configuration.asText(), phases, new Success(metric.asText(), minPercent, soak),
                new Failure(condition.asText(), maxPercent), action, timeout);
    }

    private static JsonNode object(JsonNode body, String name) {
        JsonNode node = body.get(name);
        if (node == null || !node.isObject()) {
            throw malformed("invalid" + Character.toUpperCase(name.charAt(0)) + name.substring(1), "$." + name,
                    name + " is required, an object");
        }
        return node;
    }

    private static double percent(JsonNode parent, String name, String path) {
        JsonNode node = parent.get(name);
        if (node == null || !node.isNumber() || node.asDouble() < 0 || node.asDouble() > 100) {
            throw new TwinException(TwinError.at(node != null && node.isNumber() ? ErrorKind.UNPROCESSABLE
                    : ErrorKind.MALFORMED, "invalidPercent", path, name + " is a number from 0 to 100"));
        }
        return node.asDouble();
    }

    private static long seconds(JsonNode node, String path, long absent, long min) {
        if (node == null || node.isNull()) {
            return absent;
        }
        if (!node.isIntegralNumber() || node.asLong() < min || node.asLong() > 30L * 24 * 3600) {
            throw new TwinException(TwinError.at(node.isIntegralNumber() ? ErrorKind.UNPROCESSABLE
                    : ErrorKind.MALFORMED, "invalidSeconds", path, "a whole number of seconds from " + min
                    + " to 30 days"));
        }
        return node.asLong();
    }

    private static TwinException malformed(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, code, path, detail));
    }
}
