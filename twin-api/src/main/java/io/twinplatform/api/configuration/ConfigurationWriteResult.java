package io.twinplatform.api.configuration;

/** What a configuration write answers: the version after it, and whether it created the configuration. */
public record ConfigurationWriteResult(long version, boolean created) {
}
