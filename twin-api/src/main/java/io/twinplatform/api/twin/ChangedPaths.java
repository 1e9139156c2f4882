package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The twin paths an event changes, as the fleet query language names them ({@code tags.location.building},
 * {@code properties.desired.telemetryInterval}, {@code status}): what the history and audit trail filter by path.
 */
public final class ChangedPaths {

    private ChangedPaths() {
    }

    /** The twin paths an event sets or removes: its patches' leaves, written as a query names them. */
    public static List<String> of(TwinEvent event) {
        List<String> paths = new ArrayList<>();
        if (event instanceof TwinCreated e) {
            // An empty section at creation sets nothing (a replace with one empties the section: it counts).
            if (e.tags() != null && !e.tags().isEmpty()) {
                leaves("tags", e.tags(), paths);
            }
            if (e.desired() != null && !e.desired().isEmpty()) {
                leaves("properties.desired", e.desired(), paths);
            }
        } else if (event instanceof TwinReplaced e) {
            leaves("tags", e.tags(), paths);
            leaves("properties.desired", e.desired(), paths);
        } else if (event instanceof TwinPatched e) {
            leaves("tags", e.tags(), paths);
            leaves("properties.desired", e.desired(), paths);
        } else if (event instanceof ReportedPropertiesPatched e) {
            leaves("properties.reported", e.patch(), paths);
        } else if (event instanceof TwinStatusChanged) {
            paths.add("status");
        } else if (event instanceof TwinConnectionChanged) {
            paths.add("connectionState");
        } else if (event instanceof InvalidStateTransitionReported) {
            paths.add("invalidStateTransition");
        } else if (event instanceof TwinConfigurationsApplied e) {
            leaves("properties.desired", e.desired(), paths);
            Set<String> ids = new TreeSet<>();
            e.configured().forEach(k -> ids.add(k.configurationId()));
            e.released().forEach(k -> ids.add(k.configurationId()));
            ids.addAll(e.configurations().keySet());
            ids.forEach(id -> paths.add("configurations." + id));
        }
        return paths;
    }

    private static void leaves(String prefix, JsonNode node, List<String> paths) {
        if (node == null) {
            return;
        }
        if (!node.isObject() || node.isEmpty()) {
            paths.add(prefix);
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            leaves(prefix + "." + field.getKey(), field.getValue(), paths);
        }
    }}
