package io.twinplatform.command.rollout;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Settings of rollouts, under {@code twin.rollouts}.
 *
 * @param observeInterval how often the monitor counts each running rollout's phase and records what changed
 *                        (default 500ms); a decision follows an observation, so this bounds how late it comes
 */
@ConfigurationProperties("twin.rollouts")
public record RolloutSettings(@DefaultValue("500ms") Duration observeInterval) {
}
