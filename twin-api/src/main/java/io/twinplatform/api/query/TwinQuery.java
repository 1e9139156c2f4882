package io.twinplatform.api.query;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A parsed fleet query (Azure IoT Hub's language, extended with ORDER BY). Built only by {@link #parse} or
 * {@link #parseTargetCondition}, which check everything a query can get wrong, so a {@code TwinQuery} always
 * compiles and always evaluates.
 *
 * @param text      the query as written
 * @param select    the SELECT list; empty for {@code SELECT *}
 * @param top       {@code SELECT TOP n}: at most this many results over all pages, or {@code null}
 * @param source    devices or module twins
 * @param where     the condition; {@link Condition.All} when there is no WHERE
 * @param groupBy   the GROUP BY fields, empty when not grouped
 * @param orderBy   the ORDER BY keys, empty for the default order (twin id, or the group keys)
 */
public record TwinQuery(String text, List<SelectItem> select, Integer top, Source source, Condition where,
                        List<Field> groupBy, List<OrderKey> orderBy) {

    /** The longest query text accepted, in characters. */
    public static final int MAX_LENGTH = 8192;

    public TwinQuery {
        select = List.copyOf(select);
        groupBy = List.copyOf(groupBy);
        orderBy = List.copyOf(orderBy);
    }

    /** Parses a whole query; a {@link io.twinplatform.api.error.TwinException} names the position at fault. */
    public static TwinQuery parse(String text) {
        return new QueryParser(text).query();
    }

    /**
     * Parses a target condition as configurations and jobs write it: {@code *}, a bare condition
     * ({@code tags.environment = 'prod'}), {@code FROM devices.modules WHERE …}, or a whole
     * {@code SELECT * FROM … WHERE …}. The result selects whole twins.
     */
    public static TwinQuery parseTargetCondition(String text) {
        return new QueryParser(text).targetCondition();
    }

    /** Parses one field as a query would name it ({@code tags.deviceType}, {@code inSync}). */
    public static Field parseField(String text) {
        return new QueryParser(text).singleField();
    }

    /** The first computed attribute the query names ({@code computed.<name>}), if any. */
    public java.util.Optional<Field> firstComputed() {
        java.util.List<Field> fields = new java.util.ArrayList<>();
        select.forEach(item -> {
            fields.add(item.field());
            if (item.aggregate() != null) {
                fields.add(item.aggregate().field());
            }
        });
        fields.addAll(groupBy);
        orderBy.forEach(key -> {
            fields.add(key.field());
            if (key.aggregate() != null) {
                fields.add(key.aggregate().field());
            }
        });
        collect(where, fields);
        return fields.stream().filter(java.util.Objects::nonNull).filter(Field::isComputed).findFirst();
    }

    private static void collect(Condition condition, java.util.List<Field> fields) {
        if (condition instanceof Condition.And and) {
            collect(and.left(), fields);
            collect(and.right(), fields);
        } else if (condition instanceof Condition.Or or) {
            collect(or.left(), fields);
            collect(or.right(), fields);
        } else if (condition instanceof Condition.Not not) {
            collect(not.operand(), fields);
        } else if (condition instanceof Condition.Comparison comparison) {
            fields.add(comparison.field());
        } else if (condition instanceof Condition.In in) {
            fields.add(in.field());
        } else if (condition instanceof Condition.TypeTest test) {
            fields.add(test.field());
        } else if (condition instanceof Condition.StringTest test) {
            fields.add(test.field());
        }
    }

    public boolean selectsWholeTwins() {
        return select.isEmpty();
    }

    /** Whether each result is a group (GROUP BY, or aggregates over the whole selection) rather than a twin. */
    public boolean isAggregating() {
        return !groupBy.isEmpty() || select.stream().anyMatch(SelectItem::isAggregate);
    }

    /** Three-valued: whether this query's condition holds for a twin document (and its source matches). */
    public boolean matches(JsonNode twinDocument) {
        boolean module = twinDocument.hasNonNull("moduleId");
        if (module != (source == Source.MODULES)) {
            return false;
        }
        return Boolean.TRUE.equals(QueryEvaluator.evaluate(where, twinDocument));
    }
}
