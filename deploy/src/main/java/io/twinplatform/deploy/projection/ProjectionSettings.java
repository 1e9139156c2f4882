package io.twinplatform.deploy.projection;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the twin projections run.
 *
 * @param merged whether current state ({@code twin-current}) and history ({@code twin-history}) run as one tracking
 *               processor, {@value MergedProjections#PROCESSOR} (default true): each event is read and deserialized
 *               once for both, and both are written in one transaction per batch; its threads, segments and batch size
 *               are those of {@code twin.query.projection.*}, and a replay rebuilds both. {@code false} runs them as
 *               two processors, each with its own token and sizing, replayed on its own. Applies only when history
 *               runs ({@code twin.history.enabled}).
 */
@ConfigurationProperties("twin.projections")
public record ProjectionSettings(@DefaultValue("true") boolean merged) {
}
