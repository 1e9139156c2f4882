package io.twinplatform.query.config;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;

/** The read side. On unless {@code twin.query.enabled=false}. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "twin.query.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(TwinQuerySettings.class)
@ComponentScan("io.twinplatform.query")
public class TwinQueryConfiguration {
}
