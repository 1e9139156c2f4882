package io.twinplatform.api.configuration;

/** What every configuration event says: which configuration, and its version after the event. */
public sealed interface ConfigurationEvent permits ConfigurationCreated, ConfigurationUpdated, ConfigurationDeleted,
        ConfigurationAdmitted {

    /**
     * The configuration's aggregate identifier in the event store, {@code configuration#<id>}. The store keeps one
     * sequence per identifier across all aggregate types, and a twin id never holds {@code #}, so a configuration
     * and a twin of the same name cannot collide.
     */
    static String aggregateId(String configurationId) {
        return "configuration#" + configurationId;
    }

    String configurationId();

    long version();
}
