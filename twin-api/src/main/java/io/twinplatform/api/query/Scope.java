package io.twinplatform.api.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.util.ArrayList;
import java.util.List;

/**
 * The part of the fleet a caller may see and change: a condition in the fleet query language
 * ({@code tags.site = 'plant-7'}), carried by an API key or a token. It is judged on each twin's own document,
 * device and module twins alike. Reads outside it find nothing, writes outside it are refused, and a configuration,
 * job or rollout may only target twins inside it ({@link #covers}).
 *
 * @param text      the condition as written
 * @param condition the parsed condition
 */
public record Scope(String text, Condition condition) {

    /** The code of every refusal for reaching outside the caller's scope ({@code 403}). */
    public static final String OUTSIDE_SCOPE = "outsideScope";

    /** The longest scope accepted, in characters: it travels in every request's identity. */
    public static final int MAX_LENGTH = 1024;

    /**
     * Parses a scope: a bare condition as a target condition is written ({@code tags.site = 'plant-7'}), without
     * {@code SELECT} or {@code FROM}. A fault is a {@link TwinException} at the position in the text.
     */
    public static Scope parse(String text) {
        if (text == null || text.isBlank()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidScope", "@0",
                    "a scope is a condition such as tags.site = 'plant-7'; it was empty"));
        }
        if (text.length() > MAX_LENGTH) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidScope", "@" + MAX_LENGTH,
                    "a scope is at most " + MAX_LENGTH + " characters; it was " + text.length()));
        }
        TwinQuery parsed = TwinQuery.parseTargetCondition(text);
        String head = text.stripLeading();
        if (parsed.source() != Source.DEVICES || startsWithWord(head, "SELECT") || startsWithWord(head, "FROM")
                || parsed.where() instanceof Condition.All) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidScope", "@0",
                    "a scope is a bare condition such as tags.site = 'plant-7' (no SELECT, FROM or *): it is judged"
                            + " on device and module twins alike"));
        }
        return new Scope(text, parsed.where());
    }

    private static boolean startsWithWord(String text, String word) {
        return text.regionMatches(true, 0, word, 0, word.length())
                && (text.length() == word.length() || !Character.isLetterOrDigit(text.charAt(word.length())));
    }

    /** Whether the twin document lies inside this scope (the condition is true for it, not false or undefined). */
    public boolean admits(JsonNode twinDocument) {
        return twinDocument != null && Boolean.TRUE.equals(QueryEvaluator.evaluate(condition, twinDocument));
    }

    /** A query's condition narrowed to this scope: {@code (scope) AND (where)}. */
    public Condition narrow(Condition where) {
        return where instanceof Condition.All ? condition : new Condition.And(condition, where);
    }

    /** The query, selecting only what lies inside this scope; its text (and so its continuation tokens) unchanged. */
    public TwinQuery narrow(TwinQuery query) {
        return new TwinQuery(query.text(), query.select(), query.top(), query.source(), narrow(query.where()),
                query.groupBy(), query.orderBy());
    }

    /**
     * Whether every twin the target condition selects lies inside this scope, as far as can be told from how it is
     * written: each term of the scope's top-level {@code AND} is also a term of the target's (the same field,
     * operator and value, wherever written). {@code tags.site = 'plant-7' AND tags.ring = 1} is covered by the scope
     * {@code tags.site = 'plant-7'}; {@code tags.ring = 1} alone is not, nor is {@code *}.
     */
    public boolean covers(TwinQuery target) {
        List<Condition> terms = terms(target.where());
        for (Condition needed : terms(condition)) {
            if (terms.stream().noneMatch(term -> same(term, needed))) {
                return false;
            }
        }
        return true;
    }

    /** Refuses (403 {@code outsideScope}, at {@code path}) a target condition this scope does not cover. */
    public void requireCovers(String targetCondition, String path) {
        if (!covers(TwinQuery.parseTargetCondition(targetCondition))) {
            throw new TwinException(TwinError.at(ErrorKind.FORBIDDEN, OUTSIDE_SCOPE, path,
                    "your scope is " + text + ", and this target can select twins outside it: write the target as"
                            + " (" + text + ") AND (…)"));
        }
    }

    private static List<Condition> terms(Condition condition) {
        List<Condition> terms = new ArrayList<>();
        collect(condition, terms);
        return terms;
    }

    private static void collect(Condition condition, List<Condition> terms) {
        if (condition instanceof Condition.And and) {
            collect(and.left(), terms);
            collect(and.right(), terms);
        } else {
            terms.add(condition);
        }
    }

    /** Structural equality that ignores where each field was written and compares numbers by value. */
    static boolean same(Condition a, Condition b) {
        if (a instanceof Condition.All) {
            return b instanceof Condition.All;
        }
        if (a instanceof Condition.And x && b instanceof Condition.And y) {
            return same(x.left(), y.left()) && same(x.right(), y.right());
        }
        if (a instanceof Condition.Or x && b instanceof Condition.Or y) {
            return same(x.left(), y.left()) && same(x.right(), y.right());
        }
        if (a instanceof Condition.Not x && b instanceof Condition.Not y) {
            return same(x.operand(), y.operand());
        }
        if (a instanceof Condition.Comparison x && b instanceof Condition.Comparison y) {
            return x.field().samePath(y.field()) && x.operator() == y.operator() && same(x.literal(), y.literal());
        }
        if (a instanceof Condition.In x && b instanceof Condition.In y) {
            if (!x.field().samePath(y.field()) || x.negated() != y.negated()
                    || x.literals().size() != y.literals().size()) {
                return false;
            }
            for (int i = 0; i < x.literals().size(); i++) {
                if (!same(x.literals().get(i), y.literals().get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Condition.TypeTest x && b instanceof Condition.TypeTest y) {
            return x.function() == y.function() && x.field().samePath(y.field());
        }
        if (a instanceof Condition.StringTest x && b instanceof Condition.StringTest y) {
            return x.function() == y.function() && x.field().samePath(y.field()) && x.argument().equals(y.argument());
        }
        return false;
    }

    private static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }
}
