package io.twinplatform.api.configuration;

import org.axonframework.serialization.Revision;

/**
 * A staged configuration's admission changed: its rollout reached a phase, took the configuration, or (with
 * {@code revert}) rolled it back.
 */
@Revision("1")
public record ConfigurationAdmitted(String configurationId,
                                    Admission admission,
                                    boolean revert,
                                    long version) implements ConfigurationEvent {
}
