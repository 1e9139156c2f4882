package io.twinplatform.api.configuration;

/** What every configuration event says: which configuration, and its version after the event. */
public sealed interface ConfigurationEvent permits ConfigurationCreated, ConfigurationUpdated, ConfigurationDeleted {

    String configurationId();

    long version();
}
