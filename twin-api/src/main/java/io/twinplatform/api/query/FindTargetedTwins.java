package io.twinplatform.api.query;

/**
 * Query message: one page of the ids of the current twins a target condition selects (as
 * {@link TwinQuery#parseTargetCondition} reads it), each item {@code {"deviceId", "moduleId"}}, in twin id order.
 * Cheaper than a {@code SELECT *} of the same twins: only ids travel. {@code modules} picks module twins or device
 * twins, whatever the condition's FROM says (a configuration's content is for one kind).
 */
public record FindTargetedTwins(String targetCondition, boolean modules, int pageSize, String continuationToken) {
}
