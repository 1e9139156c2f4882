package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.query.Aggregate;
import io.twinplatform.api.query.Condition;
import io.twinplatform.api.query.Field;
import io.twinplatform.api.query.OrderKey;
import io.twinplatform.api.query.SelectItem;
import io.twinplatform.api.query.Source;
import io.twinplatform.api.query.TwinQuery;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles a {@link TwinQuery} to one parameterised PostgreSQL statement over {@code twin_document}, or over the
 * history side's function that returns the fleet as it was at an instant (same columns; see {@link PastFleet}).
 *
 * <p>Conditions keep the language's three values: a comparison is SQL NULL (undefined) when the field is missing
 * or holds an object or array, and NOT of NULL stays NULL, so PostgreSQL's logic is Azure's. Where a condition
 * sits under an even number of NOTs (positive polarity) "undefined" and "false" select the same twins, so there the
 * compiler writes forms PostgreSQL can answer from an index: equality and IN also test {@code fields @> …},
 * which the GIN index ({@code jsonb_path_ops}) serves, and ordering comparisons test the bare {@code fields #> …}
 * expression, which an expression index on that field serves where an operator has added one (docs/query.md).
 *
 * <p>Results come in a total order (the ORDER BY keys, then the twin id, or the group keys), and each row carries
 * its position in that order as cursor columns {@code c1..cm}; the next page starts strictly after the last row's
 * cursor (keyset paging). Each ORDER BY key becomes four cursor columns: undefined-last flag, JSON type rank, the
 * string value in code-point order ({@code COLLATE "C"}) and the jsonb value, so the order of ORDER BY keys and
 * groups does not depend on the database's collation. The final key, the twin id, keeps the column's collation so
 * that paging walks the primary key index (code-point order on the embedded database, which is created with the C collation).
 */
final class QueryCompiler {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{p(\\d+)}");

    private final TwinQuery query;
    private final List<Field> aggregated;
    private final List<Object> params = new ArrayList<>();

    private QueryCompiler(TwinQuery query) {
        this.query = query;
        this.aggregated = aggregatedFields(query);
    }

    /**
     * @param after the cursor values of the last row of the previous page, or {@code null} for the first page
     * @param limit the most rows to return
     */
    static CompiledQuery compile(TwinQuery query, List<JsonNode> after, int limit) {
        return compile(query, null, after, limit);
    }

    /** @param past the fleet at an instant to read instead of the current twins, or {@code null} */
    static CompiledQuery compile(TwinQuery query, PastFleet past, List<JsonNode> after, int limit) {
        return new QueryCompiler(query).compile(past, after, limit);
    }

    /**
     * The SQL types of the cursor columns the query's rows carry ({@code boolean}, {@code integer}, {@code text},
     * {@code jsonb}): what a continuation token must hold. Empty when the query returns a single row.
     */
    static List<String> cursorTypes(TwinQuery query) {
        return cursorColumns(query).stream().map(CursorColumn::type).toList();
    }

    /** The key {@link CursorColumn#key} names for the twin id column. */
    private static final int TWIN_ID = -1;

    /** One cursor column: which JSON key it is drawn from ({@link #TWIN_ID} for the twin id), its SQL type. */
    private record CursorColumn(int key, String type, boolean descending) {
    }

    private CompiledQuery compile(PastFleet past, List<JsonNode> after, int limit) {
        String relation = past == null ? "twin_document"
                : past.function() + "(" + param(past.asOf().toString()) + "::timestamptz) twin_document";
        StringBuilder sql = new StringBuilder("SELECT * FROM (SELECT ");
        int outputs;
        List<CursorColumn> cursor = cursorColumns(query);
        if (!query.isAggregating()) {
            outputs = plainColumns(sql);
            appendCursorColumns(sql, cursor);
            sql.append(" FROM ").append(relation).append(" WHERE ");
            baseFilter(sql);
        } else {
            outputs = groupedColumns(sql);
            appendCursorColumns(sql, cursor);
            sql.append(" FROM (SELECT 1 AS one");
            for (int i = 0; i < query.groupBy().size(); i++) {
                sql.append(", ").append(fieldValue(query.groupBy().get(i))).append(" AS g").append(i + 1);
            }
            for (int i = 0; i < aggregated.size(); i++) {
                sql.append(", ").append(fieldValue(aggregated.get(i))).append(" AS a").append(i + 1);
            }
            sql.append(" FROM ").append(relation).append(" WHERE ");
            baseFilter(sql);
            // OFFSET 0 keeps the planner from folding the scan into the grouping, where it sorts whole rows
            // (and spills to disk) instead of hashing the few values the groups need.
            sql.append(" OFFSET 0) d");
            if (!query.groupBy().isEmpty()) {
                sql.append(" GROUP BY ");
                for (int i = 0; i < query.groupBy().size(); i++) {
                    sql.append(i == 0 ? "" : ", ").append('g').append(i + 1);
                }
            }
        }
        sql.append(") r");
        if (after != null) {
            sql.append(" WHERE ");
            keyset(sql, cursor, after);
        }
        if (!cursor.isEmpty()) {
            sql.append(" ORDER BY ");
            for (int i = 0; i < cursor.size(); i++) {
                sql.append(i == 0 ? "" : ", ").append('c').append(i + 1)
                        .append(cursor.get(i).descending() ? " DESC" : "");
            }
        }
        sql.append(" LIMIT ").append(param(limit));
        return bind(sql.toString(), outputs, cursor.size());
    }

    /**
     * Replaces the placeholders {@code {pN}} by {@code ?} and lists the parameters in the order the placeholders
     * appear, so the compiler can write a value once and use its SQL in several places.
     */
    private CompiledQuery bind(String sql, int outputs, int keys) {
        Matcher placeholder = PLACEHOLDER.matcher(sql);
        StringBuilder bound = new StringBuilder();
        List<Object> ordered = new ArrayList<>();
        while (placeholder.find()) {
            ordered.add(params.get(Integer.parseInt(placeholder.group(1))));
            placeholder.appendReplacement(bound, "?");
        }
        placeholder.appendTail(bound);
        return new CompiledQuery(bound.toString(), List.copyOf(ordered), outputs, keys);
    }

    private String param(Object value) {
        params.add(value);
        return "{p" + (params.size() - 1) + "}";
    }

    // ---- output columns

    private int plainColumns(StringBuilder sql) {
        if (query.selectsWholeTwins()) {
            sql.append("document::text AS o1");
            return 1;
        }
        int n = 0;
        for (SelectItem item : query.select()) {
            sql.append(n == 0 ? "" : ", ").append('(').append(fieldValue(item.field())).append(")::text AS o")
                    .append(++n);
        }
        return n;
    }

    private int groupedColumns(StringBuilder sql) {
        int n = 0;
        for (SelectItem item : query.select()) {
            sql.append(n == 0 ? "" : ", ");
            if (item.isAggregate()) {
                sql.append('(').append(aggregate(item.aggregate())).append(")::text");
            } else {
                sql.append("g").append(groupIndex(item.field()) + 1).append("::text");
            }
            sql.append(" AS o").append(++n);
        }
        return n;
    }

    private String aggregate(Aggregate aggregate) {
        if (aggregate.function() == Aggregate.Function.COUNT) {
            return "count(*)";
        }
        String value = "a" + (indexOf(aggregated, aggregate.field()) + 1);
        return aggregate.function().name().toLowerCase(Locale.ROOT) + "(CASE WHEN jsonb_typeof(" + value
                + ") = 'number' THEN (" + value + ")::numeric END)";
    }

    private int groupIndex(Field field) {
        int index = indexOf(query.groupBy(), field);
        if (index < 0) {
            throw new IllegalStateException("the parser lets only grouped fields through: " + field);
        }
        return index;
    }

    private static int indexOf(List<Field> fields, Field field) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).samePath(field)) {
                return i;
            }
        }
        return -1;
    }

    /** The distinct fields AVG, SUM, MIN and MAX read, in the order they first appear. */
    private static List<Field> aggregatedFields(TwinQuery query) {
        List<Field> fields = new ArrayList<>();
        List<Aggregate> aggregates = new ArrayList<>();
        query.select().stream().filter(SelectItem::isAggregate).forEach(item -> aggregates.add(item.aggregate()));
        query.orderBy().stream().filter(key -> key.aggregate() != null).forEach(key -> aggregates.add(key.aggregate()));
        for (Aggregate aggregate : aggregates) {
            if (aggregate.field() != null && indexOf(fields, aggregate.field()) < 0) {
                fields.add(aggregate.field());
            }
        }
        return fields;
    }

    // ---- cursor columns

    private static List<CursorColumn> cursorColumns(TwinQuery query) {
        boolean grouped = query.isAggregating();
        if (grouped && query.groupBy().isEmpty()) {
            return List.of();
        }
        List<CursorColumn> columns = new ArrayList<>();
        int key = 0;
        for (OrderKey order : query.orderBy()) {
            addKey(columns, key++, order.descending());
        }
        if (grouped) {
            for (int i = 0; i < query.groupBy().size(); i++) {
                addKey(columns, key++, false);
            }
        } else {
            columns.add(new CursorColumn(TWIN_ID, "text", false));
        }
        return columns;
    }

    /** A JSON key becomes four columns: undefined flag (always last), type rank, C-ordered string, jsonb value. */
    private static void addKey(List<CursorColumn> columns, int key, boolean descending) {
        columns.add(new CursorColumn(key, "boolean", false));
        columns.add(new CursorColumn(key, "integer", descending));
        columns.add(new CursorColumn(key, "text", descending));
        columns.add(new CursorColumn(key, "jsonb", descending));
    }

    private void appendCursorColumns(StringBuilder sql, List<CursorColumn> cursor) {
        List<String> values = keyValues();
        for (int i = 0; i < cursor.size(); i++) {
            CursorColumn column = cursor.get(i);
            sql.append(", ");
            if (column.key() == TWIN_ID) {
                sql.append("twin_id");
            } else {
                String value = values.get(column.key());
                sql.append(switch (column.type()) {
                    case "boolean" -> "(" + value + ") IS NULL";
                    case "integer" -> "CASE jsonb_typeof(" + value + ") WHEN 'null' THEN 0 WHEN 'string' THEN 1"
                            + " WHEN 'number' THEN 2 WHEN 'boolean' THEN 3 WHEN 'array' THEN 4 WHEN 'object' THEN 5"
                            + " ELSE 6 END";
                    case "text" -> "COALESCE(CASE WHEN jsonb_typeof(" + value + ") = 'string' THEN (" + value
                            + ") #>> '{}' END, '') COLLATE \"C\"";
                    default -> "COALESCE(" + value + ", 'null'::jsonb)";
                });
            }
            sql.append(" AS c").append(i + 1);
        }
    }

    /** The SQL of each JSON key, in the order {@link #cursorColumns} numbers them. */
    private List<String> keyValues() {
        List<String> values = new ArrayList<>();
        boolean grouped = query.isAggregating();
        for (OrderKey key : query.orderBy()) {
            if (key.aggregate() != null) {
                values.add("to_jsonb(" + aggregate(key.aggregate()) + ")");
            } else if (grouped) {
                values.add("g" + (groupIndex(key.field()) + 1));
            } else {
                values.add(fieldValue(key.field()));
            }
        }
        if (grouped) {
            for (int i = 0; i < query.groupBy().size(); i++) {
                values.add("g" + (i + 1));
            }
        }
        return values;
    }

    /** Rows strictly after {@code after} in the cursor order: the expanded form of a row comparison. */
    private void keyset(StringBuilder sql, List<CursorColumn> cursor, List<JsonNode> after) {
        sql.append('(');
        for (int i = 0; i < cursor.size(); i++) {
            sql.append(i == 0 ? "(" : " OR (");
            for (int j = 0; j < i; j++) {
                sql.append('c').append(j + 1).append(" = ").append(cursorParam(cursor.get(j), after.get(j)))
                        .append(" AND ");
            }
            sql.append('c').append(i + 1).append(cursor.get(i).descending() ? " < " : " > ")
                    .append(cursorParam(cursor.get(i), after.get(i))).append(')');
        }
        sql.append(')');
    }

    private String cursorParam(CursorColumn column, JsonNode value) {
        switch (column.type()) {
            case "boolean" -> {
                return param(value.asBoolean());
            }
            case "integer" -> {
                return param(value.asInt());
            }
            case "jsonb" -> {
                return param(new CompiledQuery.Json(value.toString())) + "::jsonb";
            }
            default -> {
                return param(value.asText());
            }
        }
    }

    // ---- conditions

    private void baseFilter(StringBuilder sql) {
        sql.append("NOT deleted AND module_id IS ").append(query.source() == Source.MODULES ? "NOT NULL" : "NULL");
        if (!(query.where() instanceof Condition.All)) {
            sql.append(" AND ").append(condition(query.where(), true));
        }
    }

    private String condition(Condition condition, boolean positive) {
        if (condition instanceof Condition.All) {
            return "TRUE";
        }
        if (condition instanceof Condition.And and) {
            return "(" + condition(and.left(), positive) + " AND " + condition(and.right(), positive) + ")";
        }
        if (condition instanceof Condition.Or or) {
            return "(" + condition(or.left(), positive) + " OR " + condition(or.right(), positive) + ")";
        }
        if (condition instanceof Condition.Not not) {
            return "(NOT " + condition(not.operand(), !positive) + ")";
        }
        if (condition instanceof Condition.Comparison comparison) {
            return comparison(comparison, positive);
        }
        if (condition instanceof Condition.In in) {
            return in(in, positive);
        }
        if (condition instanceof Condition.TypeTest test) {
            return typeTest(test);
        }
        return stringTest((Condition.StringTest) condition);
    }

    private String comparison(Condition.Comparison comparison, boolean positive) {
        Field field = comparison.field();
        JsonNode literal = comparison.literal();
        String value = fieldValue(field);
        String operator = comparison.operator().symbol();
        switch (comparison.operator()) {
            case EQ, NE -> {
                String sqlOperator = comparison.operator() == Condition.Operator.EQ ? " = " : " <> ";
                if (positive && comparison.operator() == Condition.Operator.EQ && !field.isInSync()
                        && !field.isComputed()) {
                    return "(" + containment(field, literal) + " AND " + value + " = " + json(literal) + ")";
                }
                return "(CASE WHEN " + isPrimitive(value) + " THEN " + value + sqlOperator + json(literal) + " END)";
            }
            default -> {
                String typeTest;
                String test;
                if (literal.isNumber()) {
                    typeTest = "jsonb_typeof(" + value + ") = 'number'";
                    test = value + " " + operator + " " + json(literal);
                } else {
                    typeTest = "jsonb_typeof(" + value + ") = 'string'";
                    test = "(" + value + " #>> '{}') COLLATE \"C\" " + operator + " " + text(literal.textValue());
                }
                return positive ? "(" + typeTest + " AND " + test + ")"
                        : "(CASE WHEN " + typeTest + " THEN " + test + " END)";
            }
        }
    }

    private String in(Condition.In in, boolean positive) {
        Field field = in.field();
        String value = fieldValue(field);
        if (in.literals().isEmpty()) {
            return "(CASE WHEN " + isPrimitive(value) + " THEN " + (in.negated() ? "TRUE" : "FALSE") + " END)";
        }
        StringBuilder list = new StringBuilder("(");
        for (int i = 0; i < in.literals().size(); i++) {
            list.append(i == 0 ? "" : ", ").append(json(in.literals().get(i)));
        }
        list.append(')');
        if (positive && !in.negated() && !field.isInSync() && !field.isComputed()) {
            StringBuilder anyContains = new StringBuilder("(");
            for (int i = 0; i < in.literals().size(); i++) {
                anyContains.append(i == 0 ? "" : " OR ").append(containment(field, in.literals().get(i)));
            }
            return "(" + anyContains + ") AND " + value + " IN " + list + ")";
        }
        return "(CASE WHEN " + isPrimitive(value) + " THEN " + value + (in.negated() ? " NOT IN " : " IN ") + list
                + " END)";
    }

    private String typeTest(Condition.TypeTest test) {
        String value = fieldValue(test.field());
        return switch (test.function()) {
            case IS_DEFINED -> "(" + value + " IS NOT NULL)";
            case IS_PRIMITIVE -> "COALESCE(" + isPrimitive(value) + ", FALSE)";
            default -> "COALESCE(jsonb_typeof(" + value + ") = '" + switch (test.function()) {
                case IS_NULL -> "null";
                case IS_STRING -> "string";
                case IS_NUMBER -> "number";
                case IS_BOOL -> "boolean";
                case IS_OBJECT -> "object";
                default -> "array";
            } + "', FALSE)";
        };
    }

    private String stringTest(Condition.StringTest test) {
        String value = fieldValue(test.field());
        String isString = "jsonb_typeof(" + value + ") = 'string'";
        String text = "(" + value + " #>> '{}')";
        String check = switch (test.function()) {
            case STARTS_WITH -> "starts_with(" + text + ", " + text(test.argument()) + ")";
            case ENDS_WITH -> "right(" + text + ", " + integer(test.argument().codePointCount(0,
                    test.argument().length())) + ") = " + text(test.argument());
            case CONTAINS -> "strpos(" + text + ", " + text(test.argument()) + ") > 0";
        };
        return "(CASE WHEN " + isString + " THEN " + check + " END)";
    }

    private static String isPrimitive(String value) {
        return "jsonb_typeof(" + value + ") NOT IN ('object', 'array')";
    }

    // ---- values and parameters

    /** The jsonb value of a field in a row of twin_document (SQL NULL when undefined). */
    private String fieldValue(Field field) {
        return DocumentColumns.value(field, this::param);
    }

    /** {@code fields @> {"a":{"b":literal}}}: served by the GIN index. */
    private String containment(Field field, JsonNode literal) {
        JsonNode nested = literal;
        List<String> segments = field.segments();
        for (int i = segments.size() - 1; i >= 0; i--) {
            ObjectNode parent = JsonNodeFactory.instance.objectNode();
            parent.set(segments.get(i), nested);
            nested = parent;
        }
        return DocumentColumns.column(field) + " @> " + json(nested);
    }

    private String json(JsonNode value) {
        return param(new CompiledQuery.Json(value.toString())) + "::jsonb";
    }

    private String text(String value) {
        return param(value);
    }

    private String integer(int value) {
        return param(value);
    }
}
