package io.twinplatform.history;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;

/**
 * The history side (history table, audit, point-in-time reads, replay, Kafka). On unless
 * {@code twin.history.enabled=false}. Its components arrive with the history and Kafka work; until then the
 * module holds only this switch, so deployments can already name it.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.history.enabled", havingValue = "true", matchIfMissing = true)
@ComponentScan("io.twinplatform.history")
public class TwinHistoryConfiguration {
}
