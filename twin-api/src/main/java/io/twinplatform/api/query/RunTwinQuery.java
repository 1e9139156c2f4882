package io.twinplatform.api.query;

/**
 * Query message: one page of a fleet query's results. Other modules (configurations, rollouts, jobs) select
 * twins by sending this on the query bus; {@code POST /query} runs the same handler code.
 *
 * @param query             the query text ({@link TwinQuery#parse})
 * @param pageSize          results per page, 1 to 1000; {@code null} for 100
 * @param continuationToken where the previous page ended, or {@code null} for the first page
 */
public record RunTwinQuery(String query, Integer pageSize, String continuationToken) {

    public static final int DEFAULT_PAGE_SIZE = 100;
    public static final int MAX_PAGE_SIZE = 1000;
}
