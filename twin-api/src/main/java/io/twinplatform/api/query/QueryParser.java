package io.twinplatform.api.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A recursive-descent parser for the fleet query language. Every refusal is a {@link TwinException} of kind
 * {@link ErrorKind#MALFORMED} whose path is {@code @<offset>}: the character offset (from 0) of the token at fault,
 * and whose detail says what was expected there.
 */
final class QueryParser {

    /** Fields a query may start with: the twin document's top-level keys, and the virtual {@code inSync}. */
    static final Set<String> ROOTS = Set.of("deviceId", "moduleId", "etag", "version", "status", "statusReason",
            "statusUpdatedTime", "connectionState", "lastActivityTime", "tags", "properties", "configurations",
            "delta", "configSync", "invalidStateTransition", "alerts", Field.IN_SYNC, Field.COMPUTED);

    /** Each root by its lower-case name: roots match whatever their case. */
    private static final Map<String, String> CANONICAL = ROOTS.stream()
            .collect(Collectors.toUnmodifiableMap(root -> root.toLowerCase(Locale.ROOT), root -> root));

    private static final Set<String> KEYWORDS = Set.of("SELECT", "TOP", "FROM", "WHERE", "AND", "OR", "NOT", "IN",
            "NIN", "AS", "GROUP", "ORDER", "BY", "ASC", "DESC", "TRUE", "FALSE", "NULL");

    /** How deeply parentheses and NOTs may nest; far beyond any real query, well within the stack. */
    static final int MAX_DEPTH = 64;
    /** The most items in SELECT, and the most keys in GROUP BY and in ORDER BY (each key widens the cursor). */
    static final int MAX_SELECT = 100;
    static final int MAX_KEYS = 8;

    private enum Type { WORD, ESCAPED, STRING, NUMBER, SYMBOL, END }

    private record Token(Type type, String text, int position) {
        boolean is(String keyword) {
            return type == Type.WORD && text.equalsIgnoreCase(keyword);
        }

        boolean isSymbol(String symbol) {
            return type == Type.SYMBOL && text.equals(symbol);
        }

        String describe() {
            return switch (type) {
                case END -> "the end of the query";
                case STRING -> "a string";
                case NUMBER -> "the number " + text;
                default -> "'" + text + "'";
            };
        }
    }

    private final String text;
    private final List<Token> tokens;
    private int next;
    private int depth;
    private int unnamed;
    /** Where the first computed attribute was named; -1 when none was. */
    private int computedAt = -1;

    QueryParser(String text) {
        if (text == null || text.isBlank()) {
            throw error(0, "emptyQuery", "the query is empty");
        }
        if (text.length() > TwinQuery.MAX_LENGTH) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "queryTooLong", "@" + TwinQuery.MAX_LENGTH,
                    "the query has " + text.length() + " characters; at most " + TwinQuery.MAX_LENGTH
                            + " are accepted"));
        }
        int nul = text.indexOf('\u0000');
        if (nul >= 0) {
            throw error(nul, "invalidQuery", "the query holds a NUL character (\\u0000) at position " + nul
                    + "; neither twins nor queries can contain one");
        }
        this.text = text;
        this.tokens = tokenize(text);
    }

    TwinQuery query() {
        expectKeyword("SELECT");
        Integer top = null;
        if (peek().is("TOP")) {
            next++;
            top = topCount();
        }
        List<SelectItem> select = selectList();
        expectKeyword("FROM");
        Source source = source();
        Condition where = new Condition.All();
        if (peek().is("WHERE")) {
            next++;
            where = condition();
        }
        List<Field> groupBy = List.of();
        if (peek().is("GROUP")) {
            next++;
            expectKeyword("BY");
            groupBy = groupBy();
        }
        List<OrderKey> orderBy = List.of();
        if (peek().is("ORDER")) {
            next++;
            expectKeyword("BY");
            orderBy = orderBy();
        }
        expectEnd(!orderBy.isEmpty() ? "',' or the end of the query"
                : !groupBy.isEmpty() ? "',', ORDER BY or the end of the query"
                : where instanceof Condition.All ? "WHERE, GROUP BY, ORDER BY or the end of the query"
                : "AND, OR, GROUP BY, ORDER BY or the end of the query");
        TwinQuery query = new TwinQuery(text, select, top, source, where, groupBy, orderBy);
        checkShape(query);
        return query;
    }

    Field singleField() {
        Field field = field();
        expectEnd("the end of the field");
        return field;
    }

    TwinQuery targetCondition() {
        Token first = peek();
        if (first.is("SELECT")) {
            TwinQuery query = query();
            if (!query.selectsWholeTwins() || !query.groupBy().isEmpty() || !query.orderBy().isEmpty()
                    || query.top() != null) {
                throw error(first.position(), "invalidTargetCondition",
                        "a target condition selects whole twins: SELECT * FROM … WHERE … and nothing more");
            }
            refuseComputed();
            return query;
        }
        Source source = Source.DEVICES;
        Condition where;
        if (first.isSymbol("*") && tokens.size() == 2) {
            next++;
            where = new Condition.All();
        } else {
            if (first.is("FROM")) {
                next++;
                source = source();
                if (peek().type() == Type.END) {
                    return new TwinQuery(text, List.of(), null, source, new Condition.All(), List.of(), List.of());
                }
                expectKeyword("WHERE");
            }
            where = condition();
        }
        expectEnd("AND, OR or the end of the condition");
        refuseComputed();
        return new TwinQuery(text, List.of(), null, source, where, List.of(), List.of());
    }

    /**
     * A target condition is also judged on one twin's document alone (a configuration deciding for a new twin),
     * which holds no computed attribute: so targets cannot name one.
     */
    private void refuseComputed() {
        if (computedAt >= 0) {
            throw error(computedAt, "computedNotInTargets", "a target condition cannot name computed attributes:"
                    + " they are computed from telemetry, apart from the twin; query them with POST /query");
        }
    }

    // ---- clauses

    private Integer topCount() {
        Token count = take();
        if (count.type() != Type.NUMBER) {
            throw expected(count, "a whole number after TOP");
        }
        int n;
        try {
            n = new BigDecimal(count.text()).intValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw expected(count, "a whole number from 1 to " + Integer.MAX_VALUE + " after TOP");
        }
        if (n < 1) {
            throw expected(count, "a whole number from 1 to " + Integer.MAX_VALUE + " after TOP");
        }
        return n;
    }

    private List<SelectItem> selectList() {
        if (peek().isSymbol("*")) {
            next++;
            return List.of();
        }
        List<SelectItem> items = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        do {
            Token start = peek();
            SelectItem item;
            if (isAggregateStart()) {
                Aggregate aggregate = aggregate();
                String key = alias();
                item = new SelectItem(null, aggregate, key != null ? key : "$" + (++unnamed));
            } else {
                Field field = field();
                String key = alias();
                item = new SelectItem(field, null, key != null ? key : field.key());
            }
            if (!keys.add(item.key())) {
                throw error(start.position(), "duplicateKey", "two items of the SELECT list have the key '"
                        + item.key() + "'; give one of them another name with AS");
            }
            if (items.size() == MAX_SELECT) {
                throw error(start.position(), "queryTooWide", "a SELECT list has at most " + MAX_SELECT + " items");
            }
            items.add(item);
        } while (acceptSymbol(","));
        return items;
    }

    private String alias() {
        if (!peek().is("AS")) {
            return null;
        }
        next++;
        Token name = take();
        if (name.type() == Type.ESCAPED || name.type() == Type.WORD && !isKeyword(name)) {
            return name.text();
        }
        throw expected(name, "a name after AS");
    }

    private Source source() {
        Token devices = take();
        if (!devices.is("devices")) {
            throw expected(devices, "devices or devices.modules");
        }
        if (!acceptSymbol(".")) {
            return Source.DEVICES;
        }
        Token modules = take();
        if (!modules.is("modules")) {
            throw expected(modules, "modules after devices.");
        }
        return Source.MODULES;
    }

    private List<Field> groupBy() {
        List<Field> fields = new ArrayList<>();
        do {
            if (fields.size() == MAX_KEYS) {
                throw error(peek().position(), "queryTooWide", "GROUP BY takes at most " + MAX_KEYS + " fields");
            }
            fields.add(field());
        } while (acceptSymbol(","));
        return fields;
    }

    private List<OrderKey> orderBy() {
        List<OrderKey> keys = new ArrayList<>();
        do {
            if (keys.size() == MAX_KEYS) {
                throw error(peek().position(), "queryTooWide", "ORDER BY takes at most " + MAX_KEYS + " keys");
            }
            Field field = null;
            Aggregate aggregate = null;
            if (isAggregateStart()) {
                aggregate = aggregate();
            } else {
                field = field();
            }
            boolean descending = false;
            if (peek().is("DESC")) {
                next++;
                descending = true;
            } else if (peek().is("ASC")) {
                next++;
            }
            keys.add(new OrderKey(field, aggregate, descending));
        } while (acceptSymbol(","));
        return keys;
    }

    // ---- conditions

    private Condition condition() {
        Condition left = conjunction();
        while (peek().is("OR")) {
            next++;
            left = new Condition.Or(left, conjunction());
        }
        return left;
    }

    private Condition conjunction() {
        Condition left = unary();
        while (peek().is("AND")) {
            next++;
            left = new Condition.And(left, unary());
        }
        return left;
    }

    private Condition unary() {
        Token token = peek();
        if (token.is("NOT")) {
            enter();
            next++;
            Condition operand = unary();
            depth--;
            return new Condition.Not(operand);
        }
        if (token.isSymbol("(")) {
            enter();
            next++;
            Condition inner = condition();
            expectSymbol(")");
            depth--;
            return inner;
        }
        if (token.type() == Type.WORD && peekAt(1).isSymbol("(") && !isKeyword(token)) {
            return function();
        }
        Field field = field();
        Token operator = take();
        if (operator.is("IN") || operator.is("NIN")) {
            return new Condition.In(field, list(), operator.is("NIN"));
        }
        Condition.Operator op = switch (operator.type() == Type.SYMBOL ? operator.text() : "") {
            case "=" -> Condition.Operator.EQ;
            case "!=", "<>" -> Condition.Operator.NE;
            case "<" -> Condition.Operator.LT;
            case "<=" -> Condition.Operator.LE;
            case ">" -> Condition.Operator.GT;
            case ">=" -> Condition.Operator.GE;
            default -> throw expected(operator, "a comparison (=, !=, <>, <, <=, >, >=, IN, NIN) after " + field);
        };
        Token literalToken = peek();
        JsonNode literal = literal();
        if (op.isOrdering() && !literal.isNumber() && !literal.isTextual()) {
            throw expected(literalToken, "a number or a string after " + op.symbol());
        }
        return new Condition.Comparison(field, op, literal);
    }

    private Condition function() {
        Token name = take();
        String upper = name.text().toUpperCase(Locale.ROOT);
        expectSymbol("(");
        Condition result;
        if (upper.equals("STARTS_WITH") || upper.equals("ENDS_WITH") || upper.equals("CONTAINS")) {
            Field field = field();
            expectSymbol(",");
            Token argument = take();
            if (argument.type() != Type.STRING) {
                throw expected(argument, "a string as the second argument of " + upper);
            }
            result = new Condition.StringTest(Condition.StringFunction.valueOf(upper), field, argument.text());
        } else {
            Condition.TypeFunction function;
            try {
                function = Condition.TypeFunction.valueOf(upper);
            } catch (IllegalArgumentException e) {
                throw error(name.position(), "unknownFunction", "unknown function " + name.text()
                        + "; the functions are IS_DEFINED, IS_NULL, IS_STRING, IS_NUMBER, IS_BOOL, IS_OBJECT,"
                        + " IS_ARRAY, IS_PRIMITIVE, STARTS_WITH, ENDS_WITH and CONTAINS");
            }
            result = new Condition.TypeTest(function, field());
        }
        expectSymbol(")");
        return result;
    }

    private List<JsonNode> list() {
        expectSymbol("[");
        List<JsonNode> literals = new ArrayList<>();
        if (acceptSymbol("]")) {
            return literals;
        }
        do {
            literals.add(literal());
        } while (acceptSymbol(","));
        expectSymbol("]");
        return literals;
    }

    private JsonNode literal() {
        Token token = take();
        JsonNodeFactory json = JsonNodeFactory.instance;
        switch (token.type()) {
            case STRING:
                return json.textNode(token.text());
            case NUMBER:
                return number(token);
            case WORD:
                if (token.is("TRUE")) {
                    return json.booleanNode(true);
                }
                if (token.is("FALSE")) {
                    return json.booleanNode(false);
                }
                if (token.is("NULL")) {
                    return json.nullNode();
                }
                break;
            default:
                break;
        }
        throw expected(token, "a string, number, true, false or null");
    }

    private JsonNode number(Token token) {
        BigDecimal value;
        try {
            value = new BigDecimal(token.text());
        } catch (NumberFormatException exponentOverflow) {
            value = null;
        }
        if (value != null && value.signum() == 0) {
            return JsonNodeFactory.instance.numberNode(0);
        }
        if (value == null || !Double.isFinite(value.doubleValue()) || Math.abs(value.scale()) > 400) {
            throw error(token.position(), "numberOutOfRange", "the number " + token.text()
                    + " is beyond what a twin can hold (a finite double)");
        }
        try {
            return JsonNodeFactory.instance.numberNode(value.longValueExact());
        } catch (ArithmeticException notWhole) {
            return JsonNodeFactory.instance.numberNode(value);
        }
    }

    // ---- fields and aggregates

    private boolean isAggregateStart() {
        Token token = peek();
        if (token.type() != Type.WORD || !peekAt(1).isSymbol("(")) {
            return false;
        }
        try {
            Aggregate.Function.valueOf(token.text().toUpperCase(Locale.ROOT));
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private Aggregate aggregate() {
        Token name = take();
        Aggregate.Function function = Aggregate.Function.valueOf(name.text().toUpperCase(Locale.ROOT));
        expectSymbol("(");
        Field field = null;
        if (function != Aggregate.Function.COUNT) {
            field = field();
        }
        expectSymbol(")");
        return new Aggregate(function, field, name.position());
    }

    private Field field() {
        Token first = take();
        if (first.type() == Type.WORD && isKeyword(first)) {
            throw expected(first, "a field name");
        }
        if (first.type() != Type.WORD && first.type() != Type.ESCAPED) {
            throw expected(first, "a field name");
        }
        // A root matches whatever its case (DeviceId, LastActivityTime), as Azure's system property names do;
        // everything below it keeps its case (properties.desired, and what a twin holds in its sections).
        String root = CANONICAL.get(first.text().toLowerCase(Locale.ROOT));
        if (root == null) {
            throw error(first.position(), "unknownField", "unknown field '" + first.text()
                    + "'; a field starts with one of " + String.join(", ", ROOTS.stream().sorted().toList()));
        }
        List<String> segments = new ArrayList<>();
        segments.add(root);
        while (peek().isSymbol(".")) {
            next++;
            Token segment = take();
            if (segment.type() != Type.WORD && segment.type() != Type.ESCAPED) {
                throw expected(segment, "a field name after '.'");
            }
            segments.add(segment.text());
        }
        if (root.equals("properties")) {
            if (segments.size() < 2 || !segments.get(1).equals("desired") && !segments.get(1).equals("reported")) {
                throw error(first.position(), "unknownField", "properties is followed by .desired or .reported");
            }
        }
        if (root.equals(Field.IN_SYNC) && segments.size() > 1) {
            throw error(first.position(), "unknownField", "inSync is a boolean and has no fields");
        }
        if (root.equals(Field.COMPUTED)) {
            if (segments.size() != 2) {
                throw error(first.position(), "unknownField", "computed is followed by one attribute's name:"
                        + " computed.<name> is its value");
            }
            if (computedAt < 0) {
                computedAt = first.position();
            }
        }
        return new Field(segments, first.position());
    }

    // ---- tokens

    private Token peek() {
        return tokens.get(next);
    }

    private Token peekAt(int ahead) {
        return tokens.get(Math.min(next + ahead, tokens.size() - 1));
    }

    private Token take() {
        Token token = tokens.get(next);
        if (token.type() != Type.END) {
            next++;
        }
        return token;
    }

    private boolean acceptSymbol(String symbol) {
        if (peek().isSymbol(symbol)) {
            next++;
            return true;
        }
        return false;
    }

    private void expectSymbol(String symbol) {
        Token token = take();
        if (!token.isSymbol(symbol)) {
            throw expected(token, "'" + symbol + "'");
        }
    }

    private void expectKeyword(String keyword) {
        Token token = take();
        if (!token.is(keyword)) {
            throw expected(token, keyword);
        }
    }

    private void expectEnd(String what) {
        Token token = peek();
        if (token.type() != Type.END) {
            throw expected(token, what);
        }
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error(peek().position(), "queryTooDeep", "conditions nest more than " + MAX_DEPTH + " deep");
        }
    }

    private static boolean isKeyword(Token token) {
        return token.type() == Type.WORD && KEYWORDS.contains(token.text().toUpperCase(Locale.ROOT));
    }

    private static List<Token> tokenize(String text) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int length = text.length();
        while (i < length) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            if (isNameStart(c)) {
                while (i < length && isNamePart(text.charAt(i))) {
                    i++;
                }
                tokens.add(new Token(Type.WORD, text.substring(start, i), start));
            } else if (c == '[' && i + 1 < length && text.charAt(i + 1) == '[') {
                int close = text.indexOf("]]", i + 2);
                if (close < 0) {
                    throw error(start, "invalidQuery", "expected ]] to close the name opened at position " + start);
                }
                String name = text.substring(i + 2, close);
                if (name.isEmpty()) {
                    throw error(start, "invalidQuery", "expected a name between [[ and ]]");
                }
                tokens.add(new Token(Type.ESCAPED, name, start));
                i = close + 2;
            } else if (c == '\'' || c == '"') {
                StringBuilder value = new StringBuilder();
                i++;
                while (true) {
                    if (i >= length) {
                        throw error(start, "invalidQuery", "expected " + c + " to close the string opened at position "
                                + start);
                    }
                    char d = text.charAt(i);
                    if (d == c) {
                        if (i + 1 < length && text.charAt(i + 1) == c) {
                            value.append(c);
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    value.append(d);
                    i++;
                }
                tokens.add(new Token(Type.STRING, value.toString(), start));
            } else if (isDigit(c) || c == '-' && i + 1 < length && isDigit(text.charAt(i + 1))) {
                i++;
                while (i < length && isDigit(text.charAt(i))) {
                    i++;
                }
                if (i + 1 < length && text.charAt(i) == '.' && isDigit(text.charAt(i + 1))) {
                    i++;
                    while (i < length && isDigit(text.charAt(i))) {
                        i++;
                    }
                }
                if (i < length && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
                    int exponent = i + 1;
                    if (exponent < length && (text.charAt(exponent) == '+' || text.charAt(exponent) == '-')) {
                        exponent++;
                    }
                    if (exponent < length && isDigit(text.charAt(exponent))) {
                        i = exponent;
                        while (i < length && isDigit(text.charAt(i))) {
                            i++;
                        }
                    }
                }
                if (i < length && isNameStart(text.charAt(i))) {
                    throw error(start, "invalidQuery", "expected a number or a name at position " + start
                            + ", found " + text.substring(start, i + 1));
                }
                tokens.add(new Token(Type.NUMBER, text.substring(start, i), start));
            } else {
                String symbol = switch (c) {
                    case '!' -> i + 1 < length && text.charAt(i + 1) == '=' ? "!=" : null;
                    case '<' -> i + 1 < length && text.charAt(i + 1) == '=' ? "<="
                            : i + 1 < length && text.charAt(i + 1) == '>' ? "<>" : "<";
                    case '>' -> i + 1 < length && text.charAt(i + 1) == '=' ? ">=" : ">";
                    case '=', '(', ')', '[', ']', ',', '.', '*' -> String.valueOf(c);
                    default -> null;
                };
                if (symbol == null) {
                    throw error(start, "invalidQuery", "unexpected character '" + printable(c) + "' at position "
                            + start);
                }
                tokens.add(new Token(Type.SYMBOL, symbol, start));
                i += symbol.length();
            }
        }
        tokens.add(new Token(Type.END, "", length));
        return tokens;
    }

    private static String printable(char c) {
        return Character.isISOControl(c) || Character.isSurrogate(c) ? String.format("\\u%04x", (int) c)
                : String.valueOf(c);
    }

    private static boolean isNameStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || isDigit(c);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    // ---- the shape of a whole query

    private static void checkShape(TwinQuery query) {
        boolean aggregating = query.isAggregating();
        if (!aggregating) {
            for (OrderKey key : query.orderBy()) {
                if (key.aggregate() != null) {
                    throw error(key.aggregate().position(), "invalidAggregate",
                            "ORDER BY an aggregate needs aggregates in SELECT or GROUP BY");
                }
            }
            return;
        }
        if (query.selectsWholeTwins()) {
            Field first = query.groupBy().get(0);
            throw error(first.position(), "invalidGroupBy",
                    "GROUP BY needs a SELECT list of grouped fields and aggregates, not SELECT *");
        }
        for (SelectItem item : query.select()) {
            if (!item.isAggregate() && query.groupBy().stream().noneMatch(g -> g.samePath(item.field()))) {
                throw error(item.field().position(), "invalidGroupBy", "'" + item.field()
                        + "' is neither an aggregate nor in GROUP BY");
            }
        }
        for (OrderKey key : query.orderBy()) {
            if (key.field() != null && query.groupBy().stream().noneMatch(g -> g.samePath(key.field()))) {
                throw error(key.field().position(), "invalidGroupBy", "ORDER BY '" + key.field()
                        + "' in a grouped query needs it in GROUP BY");
            }
        }
    }

    // ---- errors

    private static TwinException expected(Token found, String what) {
        return error(found.position(), "invalidQuery", "expected " + what + " at position " + found.position()
                + ", found " + found.describe());
    }

    private static TwinException error(int position, String code, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, code, "@" + position, detail));
    }
}
