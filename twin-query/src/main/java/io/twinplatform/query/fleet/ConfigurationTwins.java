package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.configuration.ConfigurationTwinCounts;
import io.twinplatform.api.configuration.CountConfigurationTwins;
import io.twinplatform.api.query.Condition;
import io.twinplatform.api.query.Field;
import io.twinplatform.api.query.SelectItem;
import io.twinplatform.api.query.Source;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.query.TwinQueryPage;
import org.axonframework.queryhandling.QueryHandler;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts and lists the twins that show a configuration ({@code configurations.[[id]]}), narrowed by a metric query or
 * a condition: what a configuration's metrics and a rollout's phase criteria are made of. Both device and module
 * twins are counted; a metric query's own FROM is not what decides, the configuration's twins are.
 */
@Component
public class ConfigurationTwins {

    /** The built-in conditions, named as Azure's system metrics count them. */
    public static final String TARGETED = "targetedCount";
    public static final String APPLIED = "appliedCount";
    public static final String ERROR = "errorCount";

    private final FleetQueryService fleet;

    ConfigurationTwins(FleetQueryService fleet) {
        this.fleet = fleet;
    }

    @QueryHandler
    public ConfigurationTwinCounts handle(CountConfigurationTwins request) {
        Map<String, Map<Integer, Long>> counts = new LinkedHashMap<>();
        request.conditions().forEach((name, text) ->
                counts.put(name, countByPhase(request.configurationId(), request.rolloutId(), text)));
        return new ConfigurationTwinCounts(counts);
    }

    /** The condition of a named system metric, or {@code null} for none. */
    public static String systemCondition(String configurationId, String metric) {
        String status = "configurations.[[" + configurationId + "]].status";
        return switch (metric) {
            case TARGETED -> "*";
            case APPLIED -> status + " = 'Applied'";
            case ERROR -> status + " = 'Error'";
            default -> null;
        };
    }

    /** How many of the configuration's twins meet the condition, in all phases. */
    public long countByPhaseTotal(String configurationId, String conditionText) {
        return countByPhase(configurationId, null, conditionText).values().stream().mapToLong(Long::longValue).sum();
    }

    Map<Integer, Long> countByPhase(String configurationId, String rolloutId, String conditionText) {
        Field phase = field(configurationId, "phase");
        List<SelectItem> select = new ArrayList<>(TwinQuery.parse("SELECT COUNT() AS n FROM devices").select());
        select.add(new SelectItem(phase, null, "phase"));
        Map<Integer, Long> counts = new TreeMap<>();
        for (Source source : Source.values()) {
            TwinQuery query = new TwinQuery(key(configurationId, rolloutId, conditionText, source), select, null,
                    source, where(configurationId, rolloutId, conditionText), List.of(phase), List.of());
            String token = null;
            do {
                TwinQueryPage page = fleet.run(query, 1000, token, null);
                for (ObjectNode row : page.items()) {
                    int at = row.hasNonNull("phase") ? row.get("phase").asInt() : -1;
                    counts.merge(at, row.path("n").asLong(), Long::sum);
                }
                token = page.continuationToken();
            } while (token != null);
        }
        return counts;
    }

    /** One page of the ids of the configuration's twins that meet the condition, devices first, then modules. */
    public TwinQueryPage ids(String configurationId, String conditionText, Source source, int pageSize,
                             String continuationToken) {
        List<SelectItem> select = List.of(new SelectItem(TwinQuery.parseField("deviceId"), null, "deviceId"),
                new SelectItem(TwinQuery.parseField("moduleId"), null, "moduleId"));
        TwinQuery query = new TwinQuery(key(configurationId, null, conditionText, source), select, null, source,
                where(configurationId, null, conditionText), List.of(), List.of());
        return fleet.run(query, pageSize, continuationToken, null);
    }

    private static Condition where(String configurationId, String rolloutId, String conditionText) {
        Condition shows = new Condition.TypeTest(Condition.TypeFunction.IS_DEFINED,
                field(configurationId, null));
        if (rolloutId != null) {
            shows = new Condition.And(shows, new Condition.Comparison(field(configurationId, "rolloutId"),
                    Condition.Operator.EQ, JsonNodeFactory.instance.textNode(rolloutId)));
        }
        Condition extra = parse(conditionText).where();
        return extra instanceof Condition.All ? shows : new Condition.And(shows, extra);
    }

    /** A metric query ({@code SELECT … WHERE …}) or a target condition; only its WHERE is used. */
    public static TwinQuery parse(String conditionText) {
        if (conditionText == null || conditionText.isBlank()) {
            return TwinQuery.parseTargetCondition("*");
        }
        return conditionText.trim().toUpperCase(Locale.ROOT).startsWith("SELECT")
                ? TwinQuery.parse(conditionText) : TwinQuery.parseTargetCondition(conditionText);
    }

    private static Field field(String configurationId, String member) {
        return TwinQuery.parseField("configurations.[[" + configurationId + "]]" + (member == null ? "" : "." + member));
    }

    /** What a continuation token of these generated queries is bound to. */
    private static String key(String configurationId, String rolloutId, String conditionText, Source source) {
        return "configuration:" + configurationId + "\u0000" + rolloutId + "\u0000" + conditionText + "\u0000"
                + source.text();
    }
}
