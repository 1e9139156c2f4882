package io.twinplatform.api.query;

/**
 * An aggregate in SELECT or ORDER BY: {@code COUNT()} or {@code AVG|SUM|MIN|MAX(field)}. AVG, SUM, MIN and MAX
 * take the numbers among the field's values and ignore everything else.
 *
 * @param function the aggregate
 * @param field    its argument, {@code null} for COUNT
 * @param position the character offset where it starts
 */
public record Aggregate(Function function, Field field, int position) {

    public enum Function { COUNT, AVG, SUM, MIN, MAX }

    /** The same aggregate over the same field, wherever it was written. */
    public boolean sameAs(Aggregate other) {
        return function == other.function
                && (field == null ? other.field == null : other.field != null && field.samePath(other.field));
    }

    @Override
    public String toString() {
        return function + "(" + (field == null ? "" : field) + ")";
    }
}
