package io.twinplatform.api.configuration;

import org.axonframework.serialization.Revision;

/** The configuration was withdrawn; what it set is taken off its twins. Its events stay. */
@Revision("1")
public record ConfigurationDeleted(String configurationId, long version) implements ConfigurationEvent {
}
