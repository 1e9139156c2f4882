package io.twinplatform.api.query;

/**
 * One item of a SELECT list: a field or an aggregate, and the key it has in each result.
 *
 * @param field     the field, or {@code null} for an aggregate
 * @param aggregate the aggregate, or {@code null} for a field
 * @param key       the alias, or a field's last segment, or {@code $n} for the n-th unnamed aggregate
 */
public record SelectItem(Field field, Aggregate aggregate, String key) {

    public boolean isAggregate() {
        return aggregate != null;
    }
}
