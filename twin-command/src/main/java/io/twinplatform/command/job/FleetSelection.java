package io.twinplatform.command.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.api.twin.TwinId;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fleet queries a job sends on the query bus, built from its query condition. A condition comes in the forms
 * {@link io.twinplatform.api.query.TwinQuery#parseTargetCondition} accepts ({@code *}, a bare condition,
 * {@code FROM … WHERE …} or {@code SELECT * FROM … WHERE …}); each is brought to its {@code FROM …} part, and the job
 * asks for the ids of the twins it selects (paged by twin id, so patching a twin never moves it between pages) and
 * for their number at the start.
 */
final class FleetSelection {

    static final int PAGE_SIZE = 100;
    static final String COUNT_KEY = "deviceCount";

    private static final Pattern SELECT_ALL = Pattern.compile("(?is)\\s*SELECT\\s*\\*\\s*(FROM\\b.*)");
    private static final Pattern FROM = Pattern.compile("(?is)\\s*FROM\\b.*");
    private static final Pattern EVERY_TWIN = Pattern.compile("\\s*\\*\\s*");

    private FleetSelection() {
    }

    /** The query whose pages name every selected twin: {@code SELECT deviceId, moduleId FROM …}. */
    static String twinIds(String queryCondition) {
        return "SELECT deviceId, moduleId " + from(queryCondition);
    }

    /** The query that counts the selected twins into one item keyed {@value #COUNT_KEY}. */
    static String count(String queryCondition) {
        return "SELECT COUNT() AS " + COUNT_KEY + " " + from(queryCondition);
    }

    /** The twin id of one item of {@link #twinIds}'s pages. */
    static String twinId(JsonNode item) {
        JsonNode module = item.get("moduleId");
        String deviceId = item.path("deviceId").asText();
        return module == null || module.isNull() ? TwinId.device(deviceId).value()
                : TwinId.module(deviceId, module.asText()).value();
    }

    static String from(String queryCondition) {
        Matcher select = SELECT_ALL.matcher(queryCondition);
        if (select.matches()) {
            return select.group(1);
        }
        if (FROM.matcher(queryCondition).matches()) {
            return queryCondition.strip();
        }
        if (EVERY_TWIN.matcher(queryCondition).matches()) {
            return "FROM devices";
        }
        return "FROM devices WHERE " + queryCondition;
    }
}
