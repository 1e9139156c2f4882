package io.twinplatform.history;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;

/**
 * The history side: the history table (one row per twin event, partitioned by day), point-in-time reads and a
 * twin's history. On unless {@code twin.history.enabled=false}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.history.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(HistorySettings.class)
@ComponentScan("io.twinplatform.history")
public class TwinHistoryConfiguration {
}
