package io.twinplatform.api.query;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A WHERE condition. Conditions have three values, as in Azure IoT Hub's language: true, false, or undefined
 * (a comparison with a field that is missing or holds an object or array). NOT of undefined is undefined, and a
 * twin is selected only when the whole condition is true.
 */
public sealed interface Condition {

    /** Every twin ({@code *} as a target condition, or no WHERE). */
    record All() implements Condition {
    }

    record And(Condition left, Condition right) implements Condition {
    }

    record Or(Condition left, Condition right) implements Condition {
    }

    record Not(Condition operand) implements Condition {
    }

    /** {@code field op literal}; the literal is a JSON string, number, boolean or null. */
    record Comparison(Field field, Operator operator, JsonNode literal) implements Condition {
    }

    /** {@code field IN [..]}, or {@code field NIN [..]} when {@code negated}. */
    record In(Field field, List<JsonNode> literals, boolean negated) implements Condition {
        public In {
            literals = List.copyOf(literals);
        }
    }

    /** {@code IS_DEFINED(f)}, {@code IS_NULL(f)}, {@code IS_STRING(f)} and the other type tests: never undefined. */
    record TypeTest(TypeFunction function, Field field) implements Condition {
    }

    /** {@code STARTS_WITH(f, 's')}, {@code ENDS_WITH} and {@code CONTAINS}: undefined unless the field is a string. */
    record StringTest(StringFunction function, Field field, String argument) implements Condition {
    }

    enum Operator {
        EQ("="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">=");

        private final String symbol;

        Operator(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }

        public boolean isOrdering() {
            return this != EQ && this != NE;
        }
    }

    enum TypeFunction { IS_DEFINED, IS_NULL, IS_STRING, IS_NUMBER, IS_BOOL, IS_OBJECT, IS_ARRAY, IS_PRIMITIVE }

    enum StringFunction { STARTS_WITH, ENDS_WITH, CONTAINS }
}
