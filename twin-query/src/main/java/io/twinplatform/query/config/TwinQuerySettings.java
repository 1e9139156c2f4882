package io.twinplatform.query.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the read side, under {@code twin.query}.
 *
 * @param enabled whether this process runs the read side (default true)
 */
@ConfigurationProperties("twin.query")
public record TwinQuerySettings(@DefaultValue("true") boolean enabled) {
}
