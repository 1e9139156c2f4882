package io.twinplatform.api.configuration;

import java.util.Map;

/**
 * Query message: among the current twins that show a configuration ({@code configurations.[[id]]} is defined, and
 * when {@code rolloutId} is set, admitted by that rollout), how many meet each named condition, per rollout phase.
 * A condition is a metric query ({@code SELECT deviceId FROM devices WHERE …}) or a bare condition; {@code null}
 * counts them all. Answers {@link ConfigurationTwinCounts}. Device and module twins are both counted.
 */
public record CountConfigurationTwins(String configurationId, String rolloutId, Map<String, String> conditions) {
}
