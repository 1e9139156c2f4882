package io.twinplatform.history.computed;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonPath;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads an operator's definition of a computed attribute, for example
 * {@code {"targetCondition":"tags.kind = 'pump'","function":"anomalyScore","input":"telemetry.vibration",
 * "window":"PT1H","baselineDays":7,"alert":{"above":3.0,"clear":2.0}}}, and refuses every mistake with a
 * {@link TwinException} naming the JSON path at fault. {@link ErrorKind#MALFORMED} (400) is for the wrong JSON type, a
 * missing or unknown member and bad syntax; {@link ErrorKind#UNPROCESSABLE} (422) for values that are well-formed but
 * mean nothing: out of range, an unknown function or direction, an alert's {@code clear} on the wrong side. A JSON
 * {@code null} member counts as absent.
 */
public final class ComputedDefinitions {

    /** What {@code input} starts with: the only source of computed attributes so far. */
    public static final String TELEMETRY_PREFIX = "telemetry.";
    /** The input of {@code uptime}: the twin's connection state. */
    public static final String CONNECTION = "connection";
    /** The prefix of a reported property's path as an input ({@code reported.state}). */
    public static final String REPORTED_PREFIX = "reported.";
    /** The longest {@code state} text. */
    public static final int MAX_STATE_LENGTH = 256;
    /** {@code minSamples} when the definition does not say. */
    public static final int DEFAULT_MIN_SAMPLES = 10;
    public static final int MAX_MIN_SAMPLES = 100_000;
    public static final int MAX_NAME_LENGTH = 64;
    public static final int MAX_SERIES_LENGTH = 256;
    public static final int MAX_CONDITION_LENGTH = 4096;
    public static final int MAX_BASELINE_DAYS = 90;
    public static final Duration MIN_WINDOW = Duration.ofMinutes(1);
    public static final Duration MAX_WINDOW = Duration.ofDays(90);

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
    private static final Set<String> MEMBERS = Set.of("targetCondition", "function", "input", "window",
            "baselineDays", "minSamples", "percentile", "threshold", "direction", "alert", "state");
    private static final Set<String> ALERT_MEMBERS = Set.of("above", "below", "clear");

    private ComputedDefinitions() {
    }

    /**
     * Parses the definition {@code body} of the computed attribute {@code name}.
     *
     * @throws TwinException a refusal at the path at fault ({@code name} for the name, {@code $…} in the body)
     */
    public static ComputedDefinition parse(String name, JsonNode body) {
        checkName(name);
        if (body == null || !body.isObject()) {
            throw malformed("invalidDefinition", "$", "a computed attribute's definition is a JSON object");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String member = it.next();
            if (!MEMBERS.contains(member)) {
                throw malformed("unknownMember", JsonPath.child("$", member), "a computed attribute has no member '"
                        + member + "'; it has " + String.join(", ", MEMBERS.stream().sorted().toList()));
            }
        }
        String condition = targetCondition(get(body, "targetCondition"));
        ComputedFunction function = function(get(body, "function"));
        ComputedSource source = source(get(body, "input"));
        String series = series(get(body, "input"), source);
        if (!function.reads(source)) {
            throw unprocessable("inputNotForFunction", "$.input", function.wireName() + " reads "
                    + switch (function.source()) {
                        case TELEMETRY -> "telemetry.<series> or reported.<path>";
                        case CONNECTION -> CONNECTION;
                        case REPORTED -> "reported.<path>";
                    } + ", not " + body.get("input").textValue());
        }
        JsonNode state = state(get(body, "state"));
        Duration window = window(get(body, "window"));
        Integer baselineDays = integer(get(body, "baselineDays"), "$.baselineDays", 1, MAX_BASELINE_DAYS);
        Integer minSamples = integer(get(body, "minSamples"), "$.minSamples", 1, MAX_MIN_SAMPLES);
        Double percentile = percentile(get(body, "percentile"));
        Double threshold = number(get(body, "threshold"), "$.threshold");
        Direction direction = direction(get(body, "direction"));
        AlertHysteresis alert = alert(get(body, "alert"));

        switch (function) {
            case PERCENTILE -> require(percentile, "$.percentile", "a percentile function needs percentile, above 0"
                    + " and at most 100");
            case ANOMALY_SCORE -> require(baselineDays, "$.baselineDays", "an anomaly score needs baselineDays, 1 to "
                    + MAX_BASELINE_DAYS);
            case TIME_IN_STATE, ERROR_COUNT -> require(state, "$.state", function.wireName() + " needs state: the"
                    + " reported value it counts, a string, number or boolean");
            case REMAINING_USEFUL_LIFE -> {
                require(threshold, "$.threshold", "a remaining useful life needs the failure threshold");
                require(direction, "$.direction", "a remaining useful life needs direction: rising or falling");
                if (minSamples != null && minSamples < 3) {
                    throw unprocessable("minSamplesOutOfRange", "$.minSamples", "a remaining useful life needs"
                            + " minSamples of at least 3: a trend's confidence needs more than two points");
                }
            }
            default -> {
            }
        }
        return new ComputedDefinition(name, condition, function, source, series, window, baselineDays,
                minSamples == null ? DEFAULT_MIN_SAMPLES : minSamples, percentile, threshold, direction, alert,
                state);
    }

    /** Refuses a name that is not 1 to 64 characters of a letter, then letters, digits and _ (path {@code name}). */
    public static void checkName(String name) {
        if (name == null || name.length() > MAX_NAME_LENGTH || !NAME.matcher(name).matches()) {
            throw malformed("invalidName", "name", "a computed attribute's name is 1 to " + MAX_NAME_LENGTH
                    + " characters: a letter, then letters, digits and _");
        }
    }

    private static String targetCondition(JsonNode node) {
        String path = "$.targetCondition";
        String text = text(node, path, "missingTargetCondition", "targetCondition is required: a query condition"
                + " such as tags.kind = 'pump'");
        if (text.isBlank() || text.length() > MAX_CONDITION_LENGTH) {
            throw malformed("invalidTargetCondition", path, "targetCondition is a non-blank condition of up to "
                    + MAX_CONDITION_LENGTH + " characters");
        }
        return text;
    }

    private static ComputedFunction function(JsonNode node) {
        String text = text(node, "$.function", "missingFunction", "function is required: one of " + functionNames());
        return ComputedFunction.named(text).orElseThrow(() -> unprocessable("unknownFunction", "$.function",
                "there is no function '" + text + "'; there are " + functionNames()));
    }

    private static ComputedSource source(JsonNode node) {
        String text = text(node, "$.input", "missingInput", "input is required: telemetry. and a series name, like"
                + " telemetry.vibration; connection; or reported. and a property's path, like reported.state");
        if (text.equals(CONNECTION)) {
            return ComputedSource.CONNECTION;
        }
        return text.startsWith(REPORTED_PREFIX) ? ComputedSource.REPORTED : ComputedSource.TELEMETRY;
    }

    private static String series(JsonNode node, ComputedSource source) {
        String text = node.textValue();
        String series = switch (source) {
            case CONNECTION -> "";
            case REPORTED -> text.substring(REPORTED_PREFIX.length());
            case TELEMETRY -> text.startsWith(TELEMETRY_PREFIX) ? text.substring(TELEMETRY_PREFIX.length()) : null;
        };
        if (source != ComputedSource.CONNECTION && (series == null || !validSeries(series)
                || source == ComputedSource.REPORTED && series.contains("$"))) {
            throw malformed("invalidInput", "$.input", "input is telemetry. and a series name, or reported. and a"
                    + " property's path: dotted member names, up to " + MAX_SERIES_LENGTH + " characters in all,"
                    + " without whitespace or control characters (nor $ in a property's path); or connection");
        }
        return series;
    }

    private static JsonNode state(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (!node.isTextual() && !node.isNumber() && !node.isBoolean()) {
            throw malformed("invalidState", "$.state", "state is the reported value counted: a string, number or"
                    + " boolean");
        }
        if (node.isTextual() && (node.textValue().isEmpty() || node.textValue().length() > MAX_STATE_LENGTH)) {
            throw malformed("invalidState", "$.state", "state is 1 to " + MAX_STATE_LENGTH + " characters");
        }
        if (node.isNumber() && !Double.isFinite(node.doubleValue())) {
            throw unprocessable("numberOutOfRange", "$.state", "state is a finite number");
        }
        return node.deepCopy();
    }

    private static boolean validSeries(String series) {
        if (series.isEmpty() || series.codePointCount(0, series.length()) > MAX_SERIES_LENGTH
                || series.startsWith(".") || series.endsWith(".") || series.contains("..")) {
            return false;
        }
        return series.codePoints().noneMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c)
                || Character.isISOControl(c) || Character.getType(c) == Character.FORMAT);
    }

    private static Duration window(JsonNode node) {
        String path = "$.window";
        String text = text(node, path, "missingWindow", "window is required: an ISO-8601 duration such as PT1H");
        Duration window;
        try {
            window = Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw malformed("invalidWindow", path, "window is an ISO-8601 duration of days, hours, minutes and"
                    + " seconds, such as PT15M, PT1H or P7D; not '" + text + "'");
        }
        if (window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
            throw unprocessable("windowOutOfRange", path, "window is from 1 minute (PT1M) to 90 days (P90D), not "
                    + text);
        }
        return window;
    }

    private static Integer integer(JsonNode node, String path, int min, int max) {
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber()) {
            throw malformed("invalidNumber", path, path.substring(2) + " is a whole number, " + min + " to " + max);
        }
        if (!node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            throw unprocessable("numberOutOfRange", path, path.substring(2) + " is from " + min + " to " + max
                    + ", not " + node.asText());
        }
        return node.intValue();
    }

    private static Double number(JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        if (!node.isNumber()) {
            throw malformed("invalidNumber", path, path.substring(2) + " is a JSON number");
        }
        if (!Double.isFinite(node.doubleValue())) {
            throw unprocessable("numberOutOfRange", path, path.substring(2) + " is a finite number");
        }
        return node.doubleValue();
    }

    private static Double percentile(JsonNode node) {
        Double p = number(node, "$.percentile");
        if (p != null && !(p > 0 && p <= 100)) {
            throw unprocessable("numberOutOfRange", "$.percentile", "percentile is above 0 and at most 100, not " + p);
        }
        return p;
    }

    private static Direction direction(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw malformed("invalidDirection", "$.direction", "direction is a string: rising or falling");
        }
        for (Direction direction : Direction.values()) {
            if (direction.wireName().equals(node.textValue())) {
                return direction;
            }
        }
        throw unprocessable("unknownDirection", "$.direction", "direction is rising or falling, not '"
                + node.textValue() + "'");
    }

    private static AlertHysteresis alert(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (!node.isObject()) {
            throw malformed("invalidAlert", "$.alert", "alert is an object: {\"above\":…,\"clear\":…} or"
                    + " {\"below\":…,\"clear\":…}");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String member = it.next();
            if (!ALERT_MEMBERS.contains(member)) {
                throw malformed("unknownMember", JsonPath.child("$.alert", member), "an alert has above or below,"
                        + " and clear; not '" + member + "'");
            }
        }
        Double above = number(get(node, "above"), "$.alert.above");
        Double below = number(get(node, "below"), "$.alert.below");
        if (above != null && below != null) {
            throw malformed("ambiguousAlert", "$.alert.below", "an alert is above or below a threshold, not both");
        }
        if (above == null && below == null) {
            throw malformed("missingAlertThreshold", "$.alert.above", "an alert needs above or below: the value"
                    + " that raises it");
        }
        Double clear = number(get(node, "clear"), "$.alert.clear");
        if (clear == null) {
            throw malformed("missingAlertClear", "$.alert.clear", "an alert needs clear: the value that clears it,"
                    + " so that it does not flap");
        }
        AlertHysteresis.Side side = above != null ? AlertHysteresis.Side.ABOVE : AlertHysteresis.Side.BELOW;
        double raise = above != null ? above : below;
        if (!AlertHysteresis.valid(side, raise, clear)) {
            throw unprocessable("clearOnWrongSide", "$.alert.clear", side == AlertHysteresis.Side.ABOVE
                    ? "an alert above " + raise + " clears below it; clear " + clear + " is not"
                    : "an alert below " + raise + " clears above it; clear " + clear + " is not");
        }
        return new AlertHysteresis(side, raise, clear);
    }

    /** The member {@code name} of {@code object}; {@code null} when absent or JSON null. */
    private static JsonNode get(JsonNode object, String name) {
        JsonNode node = object.get(name);
        return node == null || node.isNull() ? null : node;
    }

    private static String text(JsonNode node, String path, String missingCode, String missingDetail) {
        if (node == null) {
            throw malformed(missingCode, path, missingDetail);
        }
        if (!node.isTextual()) {
            throw malformed("invalidType", path, path.substring(2) + " is a string");
        }
        return node.textValue();
    }

    private static void require(Object value, String path, String detail) {
        if (value == null) {
            throw malformed("missingMember", path, detail);
        }
    }

    private static String functionNames() {
        StringBuilder names = new StringBuilder();
        for (ComputedFunction function : ComputedFunction.values()) {
            names.append(names.isEmpty() ? "" : ", ").append(function.wireName());
        }
        return names.toString();
    }

    private static TwinException malformed(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, code, path, detail));
    }

    private static TwinException unprocessable(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, code, path, detail));
    }
}
