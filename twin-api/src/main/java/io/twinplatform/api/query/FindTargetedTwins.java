package io.twinplatform.api.query;

/**
 * Query message: one page of the ids of the current twins a target condition selects (as
 * {@link TwinQuery#parseTargetCondition} reads it), each item {@code {"deviceId", "moduleId"}}, in twin id order.
 * Cheaper than a {@code SELECT *} of the same twins: only ids travel. {@code modules} picks module twins or device
 * twins, whatever the condition's FROM says (a configuration's content is for one kind).
 */
public record FindTargetedTwins(String targetCondition, boolean modules, int pageSize, String continuationToken) {

    /**
     * Pages of ids may be larger than a client's query pages: each page is one statement, and when the planner
     * underestimates how many twins match, each statement reads all the remaining ones, so fewer pages cost less.
     */
    public static final int MAX_PAGE_SIZE = 10_000;
}
