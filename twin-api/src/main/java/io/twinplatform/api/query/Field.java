package io.twinplatform.api.query;

import java.util.List;

/**
 * A twin field named in a query: {@code tags.location.building}, {@code properties.reported.[[$metadata]]},
 * or the virtual {@code inSync} (the twin's delta is empty).
 *
 * @param segments the path from the twin document's root, never empty
 * @param position the character offset where the field starts in the query text
 */
public record Field(List<String> segments, int position) {

    /** The virtual field: {@code true} when desired and reported agree (the delta is empty). */
    public static final String IN_SYNC = "inSync";
    /** The root of a computed attribute's value, {@code computed.<name>}: kept apart from the twin document. */
    public static final String COMPUTED = "computed";

    public Field {
        segments = List.copyOf(segments);
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("a field needs a name");
        }
    }

    /** The key this field has in a result when it has no alias: its last segment, as Azure does. */
    public String key() {
        return segments.get(segments.size() - 1);
    }

    public boolean isInSync() {
        return segments.size() == 1 && segments.get(0).equals(IN_SYNC);
    }

    /** Whether this is a computed attribute's value, {@code computed.<name>}. */
    public boolean isComputed() {
        return segments.get(0).equals(COMPUTED);
    }

    /** The same field, wherever it was written. */
    public boolean samePath(Field other) {
        return segments.equals(other.segments);
    }

    @Override
    public String toString() {
        return String.join(".", segments);
    }
}
