package io.twinplatform.api.query;

/**
 * One key of ORDER BY: a field or an aggregate, ascending unless {@code descending}. Undefined values sort last
 * either way.
 */
public record OrderKey(Field field, Aggregate aggregate, boolean descending) {
}
