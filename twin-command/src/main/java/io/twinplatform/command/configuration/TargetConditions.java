package io.twinplatform.command.configuration;

import io.twinplatform.api.query.TwinQuery;
import org.springframework.stereotype.Component;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Parsed target conditions, kept by their text: applying a configuration to 100,000 twins evaluates the same
 * condition 100,000 times, and parsing it once is enough. Texts were checked when their configuration was put.
 */
@Component
public class TargetConditions {

    private static final int MAX_KEPT = 10_000;

    private final ConcurrentMap<String, TwinQuery> parsed = new ConcurrentHashMap<>();

    public TwinQuery parse(String text) {
        TwinQuery query = parsed.get(text);
        if (query == null) {
            query = TwinQuery.parseTargetCondition(text);
            if (parsed.size() >= MAX_KEPT) {
                parsed.clear();
            }
            parsed.put(text, query);
        }
        return query;
    }
}
