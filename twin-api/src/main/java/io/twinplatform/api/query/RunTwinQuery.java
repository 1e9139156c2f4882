package io.twinplatform.api.query;

import java.time.Instant;

/**
 * Query message: one page of a fleet query's results. Other modules (configurations, rollouts, jobs) select
 * twins by sending this on the query bus; {@code POST /query} runs the same handler code.
 *
 * @param query             the query text ({@link TwinQuery#parse})
 * @param pageSize          results per page, 1 to 1000; {@code null} for 100
 * @param continuationToken where the previous page ended, or {@code null} for the first page
 * @param asOf              the instant whose fleet to query (the history side's), or {@code null} for the current twins
 */
public record RunTwinQuery(String query, Integer pageSize, String continuationToken, Instant asOf) {

    public static final int DEFAULT_PAGE_SIZE = 100;
    public static final int MAX_PAGE_SIZE = 1000;

    /** A query over the current twins. */
    public RunTwinQuery(String query, Integer pageSize, String continuationToken) {
        this(query, pageSize, continuationToken, null);
    }
}
