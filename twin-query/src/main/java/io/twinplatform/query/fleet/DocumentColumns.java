package io.twinplatform.query.fleet;

import io.twinplatform.api.query.Field;

import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Which column of {@code twin_document} a field is read from. {@code document} is the whole twin as users see
 * it, stored out of line (TOAST); {@code fields} is the same JSON without the two {@code $metadata} trees, less
 * than half the size, kept in the row itself, and indexed (GIN). A scan over {@code fields} therefore reads half
 * the pages. Only a path into {@code $metadata}, or one that contains it ({@code properties},
 * {@code properties.desired}, {@code properties.reported}), needs {@code document}.
 */
public final class DocumentColumns {

    /** A key PostgreSQL's {@code #>} would read as an array index (it parses it with strtol). */
    private static final Pattern ARRAY_INDEX = Pattern.compile("\\s*[+-]?\\d+");

    /** A name that can stand in DDL as a literal: letters, digits, '_' and '$', not starting with a digit. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]{0,127}");

    public static final String DOCUMENT = "document";
    public static final String FIELDS = "fields";

    private DocumentColumns() {
    }

    public static String column(Field field) {
        return needsDocument(field.segments()) ? DOCUMENT : FIELDS;
    }

    private static boolean needsDocument(List<String> segments) {
        return segments.get(0).equals("properties") && (segments.size() <= 2 || segments.get(2).equals("$metadata"));
    }

    /**
     * The SQL of a field's jsonb value in a row, SQL NULL when undefined. Fields are paths through objects only
     * (as {@code QueryEvaluator.value} reads them). The common case is a subscript chain
     * ({@code fields['tags']['deviceType']}): it walks the stored value without copying it and costs about a third
     * less per row than {@code #>}. Both would step into an array at a key such as {@code 0} or {@code -1}, so such
     * paths are read with {@code ->}, which finds nothing in an array for a text key.
     *
     * @param param writes a bind parameter for a value and returns its placeholder
     */
    public static String value(Field field, Function<Object, String> param) {
        if (field.isInSync()) {
            return inSync();
        }
        if (field.isComputed()) {
            return computed(field.segments().get(1), param);
        }
        boolean arraySafe = field.segments().stream().noneMatch(segment -> ARRAY_INDEX.matcher(segment).matches());
        StringBuilder sql = new StringBuilder("(").append(column(field));
        for (String segment : field.segments()) {
            if (arraySafe) {
                sql.append('[').append(param.apply(segment)).append("::text]");
            } else {
                sql.append(" -> ").append(param.apply(segment)).append("::text");
            }
        }
        return sql.append(')').toString();
    }

    /**
     * The same value with literal keys, for index definitions (DDL takes no bind parameters): only for paths whose
     * segments are plain names ({@link #indexable}); anything else is refused.
     */
    public static String indexExpression(Field field) {
        if (!indexable(field)) {
            throw new IllegalArgumentException(field + " cannot be written into DDL: its segments must be plain names");
        }
        StringBuilder sql = new StringBuilder("(").append(column(field));
        for (String segment : field.segments()) {
            sql.append("['").append(segment).append("']");
        }
        return sql.append(')').toString();
    }

    /** Whether {@link #indexExpression} can write this field: a stored path of plain names, none an array index. */
    public static boolean indexable(Field field) {
        return !field.isInSync() && !field.isComputed()
                && field.segments().stream().allMatch(s -> PLAIN.matcher(s).matches());
    }

    /**
     * The SQL of {@code computed.<name>}: the twin's latest value of that computed attribute, kept by the history
     * side in {@code computed_value}; SQL NULL (undefined) when it has none.
     */
    public static String computed(String name, Function<Object, String> param) {
        return "(SELECT to_jsonb(cv.value) FROM computed_value cv WHERE cv.twin_id = twin_document.twin_id"
                + " AND cv.name = " + param.apply(name) + "::text)";
    }

    /** The SQL of the virtual {@code inSync} field: the delta is empty. */
    public static String inSync() {
        return "to_jsonb(" + FIELDS + " -> 'delta' = '{}'::jsonb)";
    }
}
