package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.axonframework.serialization.Revision;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The configurations that target a twin changed, or what they set did. {@code configurations} is the whole set after
 * the event (id to status); {@code configured} the keys a configuration took or changed, each with the value it
 * replaced; {@code released} the keys no configuration decides any more; {@code desired} the effective merge patch on
 * desired properties ({@code null} when they did not change, and then {@code desiredVersion} is unchanged).
 */
@Revision("1")
public record TwinConfigurationsApplied(String twinId,
                                        Map<String, TwinConfigurationStatus> configurations,
                                        List<ConfiguredKey> configured,
                                        List<ReleasedKey> released,
                                        ObjectNode desired,
                                        long desiredVersion,
                                        long version) implements TwinEvent {

    public TwinConfigurationsApplied {
        configurations = configurations == null ? Map.of() : new TreeMap<>(configurations);
        configured = configured == null ? List.of() : List.copyOf(configured);
        released = released == null ? List.of() : List.copyOf(released);
    }
}
