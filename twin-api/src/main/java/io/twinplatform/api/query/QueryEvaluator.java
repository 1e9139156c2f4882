package io.twinplatform.api.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;

import java.util.List;

/**
 * Evaluates a condition over one twin document in memory, with exactly the semantics the SQL compiler gives it:
 * {@code TRUE}, {@code FALSE}, or {@code null} for undefined. Used where a single twin is judged (a configuration
 * deciding whether a new twin matches) and as the reference the SQL results are tested against.
 */
public final class QueryEvaluator {

    private QueryEvaluator() {
    }

    /** The value of {@code field} in the document; {@code null} when undefined. */
    public static JsonNode value(Field field, JsonNode document) {
        if (field.isInSync()) {
            JsonNode delta = document.get("delta");
            return delta == null ? null : BooleanNode.valueOf(delta.isObject() && delta.isEmpty());
        }
        JsonNode node = document;
        for (String segment : field.segments()) {
            node = node.isObject() ? node.get(segment) : null;
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    public static Boolean evaluate(Condition condition, JsonNode document) {
        if (condition instanceof Condition.All) {
            return true;
        }
        if (condition instanceof Condition.And and) {
            return and(evaluate(and.left(), document), evaluate(and.right(), document));
        }
        if (condition instanceof Condition.Or or) {
            return or(evaluate(or.left(), document), evaluate(or.right(), document));
        }
        if (condition instanceof Condition.Not not) {
            Boolean operand = evaluate(not.operand(), document);
            return operand == null ? null : !operand;
        }
        if (condition instanceof Condition.Comparison c) {
            return compare(value(c.field(), document), c.operator(), c.literal());
        }
        if (condition instanceof Condition.In in) {
            return in(value(in.field(), document), in.literals(), in.negated());
        }
        if (condition instanceof Condition.TypeTest t) {
            return typeTest(t.function(), value(t.field(), document));
        }
        Condition.StringTest s = (Condition.StringTest) condition;
        return stringTest(s.function(), value(s.field(), document), s.argument());
    }

    private static Boolean and(Boolean left, Boolean right) {
        if (Boolean.FALSE.equals(left) || Boolean.FALSE.equals(right)) {
            return false;
        }
        return left == null || right == null ? null : true;
    }

    private static Boolean or(Boolean left, Boolean right) {
        if (Boolean.TRUE.equals(left) || Boolean.TRUE.equals(right)) {
            return true;
        }
        return left == null || right == null ? null : false;
    }

    /** A primitive: string, number, boolean or JSON null. Comparisons with anything else are undefined. */
    static boolean isPrimitive(JsonNode value) {
        return value != null && !value.isContainerNode();
    }

    private static Boolean compare(JsonNode value, Condition.Operator operator, JsonNode literal) {
        if (!isPrimitive(value)) {
            return null;
        }
        return switch (operator) {
            case EQ -> same(value, literal);
            case NE -> !same(value, literal);
            default -> {
                Integer order = order(value, literal);
                if (order == null) {
                    yield null;
                }
                yield switch (operator) {
                    case LT -> order < 0;
                    case LE -> order <= 0;
                    case GT -> order > 0;
                    default -> order >= 0;
                };
            }
        };
    }

    /** Numbers compare by value, strings by code point; other pairs have no order. */
    private static Integer order(JsonNode value, JsonNode literal) {
        if (value.isNumber() && literal.isNumber()) {
            return value.decimalValue().compareTo(literal.decimalValue());
        }
        if (value.isTextual() && literal.isTextual()) {
            return compareCodePoints(value.textValue(), literal.textValue());
        }
        return null;
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /** JSON equality of primitives: numbers by value (1 = 1.0), everything else by type and value. */
    static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    private static Boolean in(JsonNode value, List<JsonNode> literals, boolean negated) {
        if (!isPrimitive(value)) {
            return null;
        }
        boolean found = literals.stream().anyMatch(literal -> same(value, literal));
        return found != negated;
    }

    private static Boolean typeTest(Condition.TypeFunction function, JsonNode value) {
        if (value == null) {
            return false;
        }
        return switch (function) {
            case IS_DEFINED -> true;
            case IS_NULL -> value.isNull();
            case IS_STRING -> value.isTextual();
            case IS_NUMBER -> value.isNumber();
            case IS_BOOL -> value.isBoolean();
            case IS_OBJECT -> value.isObject();
            case IS_ARRAY -> value.isArray();
            case IS_PRIMITIVE -> !value.isContainerNode();
        };
    }

    private static Boolean stringTest(Condition.StringFunction function, JsonNode value, String argument) {
        if (value == null || !value.isTextual()) {
            return null;
        }
        String text = value.textValue();
        return switch (function) {
            case STARTS_WITH -> text.startsWith(argument);
            case ENDS_WITH -> text.endsWith(argument);
            case CONTAINS -> text.contains(argument);
        };
    }
}
