package io.twinplatform.history.computed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** An operator's definition of a computed attribute: what is read from it, and every mistake refused at its path. */
class ComputedDefinitionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** JSON with ` for its double quotes, so that the condition keeps its single quotes. */
    private static final String FULL = "{`targetCondition`:`tags.kind = 'pump'`, `function`:`anomalyScore`,"
            + " `input`:`telemetry.vibration`, `window`:`PT1H`, `baselineDays`:7, `minSamples`:10,"
            + " `percentile`:95, `threshold`:8.0, `direction`:`rising`, `alert`:{`above`:3.0, `clear`:2.0}}";

    @Test
    void readsAFullDefinition() {
        ComputedDefinition definition = parse("pumpVibration", FULL);

        assertThat(definition.name()).isEqualTo("pumpVibration");
        assertThat(definition.targetCondition()).isEqualTo("tags.kind = 'pump'");
        assertThat(definition.function()).isEqualTo(ComputedFunction.ANOMALY_SCORE);
        assertThat(definition.series()).isEqualTo("vibration");
        assertThat(definition.input()).isEqualTo("telemetry.vibration");
        assertThat(definition.window()).isEqualTo(Duration.ofHours(1));
        assertThat(definition.baselineDays()).isEqualTo(7);
        assertThat(definition.minSamples()).isEqualTo(10);
        assertThat(definition.percentile()).isEqualTo(95.0);
        assertThat(definition.threshold()).isEqualTo(8.0);
        assertThat(definition.direction()).isEqualTo(Direction.RISING);
        assertThat(definition.alert()).isEqualTo(new AlertHysteresis(AlertHysteresis.Side.ABOVE, 3.0, 2.0));
    }

    @Test
    void readsAMinimalDefinitionWithItsDefaults() {
        ComputedDefinition definition = parse("m", "{`targetCondition`:`*`, `function`:`mean`,"
                + " `input`:`telemetry.env.temperature`, `window`:`P7D`, `alert`:null}");

        assertThat(definition.series()).isEqualTo("env.temperature");
        assertThat(definition.window()).isEqualTo(Duration.ofDays(7));
        assertThat(definition.minSamples()).isEqualTo(ComputedDefinitions.DEFAULT_MIN_SAMPLES);
        assertThat(definition.baselineDays()).isNull();
        assertThat(definition.percentile()).isNull();
        assertThat(definition.alert()).isNull();
    }

    @Test
    void readsEachFunctionWithWhatItNeeds() {
        String base = "{`targetCondition`:`*`, `input`:`telemetry.x`, `window`:`PT5M`, ";

        assertThat(parse("a", base + "`function`:`percentile`, `percentile`:99.9}").function())
                .isEqualTo(ComputedFunction.PERCENTILE);
        assertThat(parse("a", base + "`function`:`rateOfChange`}").function())
                .isEqualTo(ComputedFunction.RATE_OF_CHANGE);
        assertThat(parse("a", base + "`function`:`count`}").function()).isEqualTo(ComputedFunction.COUNT);
        ComputedDefinition rul = parse("a", base + "`function`:`remainingUsefulLife`, `threshold`:-4,"
                + " `direction`:`falling`, `alert`:{`below`:24, `clear`:48}}");
        assertThat(rul.direction()).isEqualTo(Direction.FALLING);
        assertThat(rul.threshold()).isEqualTo(-4.0);
        assertThat(rul.alert()).isEqualTo(new AlertHysteresis(AlertHysteresis.Side.BELOW, 24, 48));
    }

    @Test
    void readsTheFunctionsOverTheTwinsHistory() {
        ComputedDefinition uptime = parse("up", "{`targetCondition`:`*`, `function`:`uptime`, `input`:`connection`,"
                + " `window`:`P1D`, `alert`:{`below`:0.9, `clear`:0.95}}");
        assertThat(uptime.source()).isEqualTo(ComputedSource.CONNECTION);
        assertThat(uptime.input()).isEqualTo("connection");
        ComputedDefinition errors = parse("err", "{`targetCondition`:`*`, `function`:`errorCount`,"
                + " `input`:`reported.status.code`, `window`:`PT1H`, `state`:500}");
        assertThat(errors.source()).isEqualTo(ComputedSource.REPORTED);
        assertThat(errors.series()).isEqualTo("status.code");
        assertThat(errors.state().intValue()).isEqualTo(500);
        assertThat(ComputedDefinitions.parse("err", errors.toJson())).isEqualTo(errors);
        ComputedDefinition level = parse("level", "{`targetCondition`:`*`, `function`:`mean`,"
                + " `input`:`reported.tank.level`, `window`:`PT1H`}");
        assertThat(level.source()).isEqualTo(ComputedSource.REPORTED);
        assertThat(level.input()).isEqualTo("reported.tank.level");
        assertThat(refusal("t", "{`targetCondition`:`*`, `function`:`errorCount`, `input`:`connection`,"
                + " `window`:`PT1H`, `state`:`x`}").code()).isEqualTo("inputNotForFunction");

        assertThat(refusal("t", "{`targetCondition`:`*`, `function`:`timeInState`, `input`:`reported.state`,"
                + " `window`:`PT1H`}").path()).isEqualTo("$.state");
        assertThat(refusal("t", "{`targetCondition`:`*`, `function`:`uptime`, `input`:`telemetry.x`,"
                + " `window`:`PT1H`}").code()).isEqualTo("inputNotForFunction");
        assertThat(refusal("t", "{`targetCondition`:`*`, `function`:`timeInState`, `input`:`reported.state`,"
                + " `window`:`PT1H`, `state`:``}").code()).isEqualTo("invalidState");
        assertThat(refusal("t", "{`targetCondition`:`*`, `function`:`timeInState`, `input`:`reported.state`,"
                + " `window`:`PT1H`, `state`:[1]}").code()).isEqualTo("invalidState");
    }

    @Test
    void roundTripsThroughItsJson() {
        ComputedDefinition full = parse("pumpVibration", FULL);
        ComputedDefinition week = parse("w", "{`targetCondition`:`*`, `function`:`remainingUsefulLife`,"
                + " `input`:`telemetry.a.b`, `window`:`P7D`, `threshold`:1, `direction`:`falling`,"
                + " `alert`:{`below`:24, `clear`:48}}");

        assertThat(ComputedDefinitions.parse("pumpVibration", full.toJson())).isEqualTo(full);
        assertThat(ComputedDefinitions.parse("w", week.toJson())).isEqualTo(week);
        // the same members; a percentile is always written as a decimal
        assertThat(full.toJson()).isEqualTo(json(FULL.replace("`percentile`:95", "`percentile`:95.0")));
        assertThat(week.toJson().get("window").asText()).isEqualTo("PT168H");
    }

    @ParameterizedTest(name = "[{index}] {3} at {2}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            FULL                                                     | 400 | $                  | invalidDefinition
            REPLACE `targetCondition`:`tags.kind = 'pump'`, =>        | 400 | $.targetCondition  | missingTargetCondition
            REPLACE `tags.kind = 'pump'` => 42                       | 400 | $.targetCondition  | invalidType
            REPLACE `tags.kind = 'pump'` => `  `                     | 400 | $.targetCondition  | invalidTargetCondition
            REPLACE `anomalyScore` => `median`                       | 422 | $.function         | unknownFunction
            REPLACE `function`:`anomalyScore`, =>                    | 400 | $.function         | missingFunction
            REPLACE `telemetry.vibration` => `vibration`             | 400 | $.input            | invalidInput
            REPLACE `telemetry.vibration` => `telemetry.`            | 400 | $.input            | invalidInput
            REPLACE `telemetry.vibration` => `telemetry.a..b`        | 400 | $.input            | invalidInput
            REPLACE `telemetry.vibration` => `telemetry.vib ration`  | 400 | $.input            | invalidInput
            REPLACE `telemetry.vibration` => `telemetry.vib\\tx`     | 400 | $.input            | invalidInput
            REPLACE `telemetry.vibration` => `connection`            | 422 | $.input            | inputNotForFunction
            REPLACE `telemetry.vibration` => `reported.a$b`          | 400 | $.input            | invalidInput
            REPLACE `telemetry.vibration` => `reported.`             | 400 | $.input            | invalidInput
            REPLACE `window` => `state`:{}, `window`                 | 400 | $.state            | invalidState
            REPLACE `PT1H` => `1 hour`                               | 400 | $.window           | invalidWindow
            REPLACE `PT1H` => `P1M`                                  | 400 | $.window           | invalidWindow
            REPLACE `PT1H` => `PT59S`                                | 422 | $.window           | windowOutOfRange
            REPLACE `PT1H` => `P91D`                                 | 422 | $.window           | windowOutOfRange
            REPLACE `PT1H` => `-PT1H`                                | 422 | $.window           | windowOutOfRange
            REPLACE `PT1H` => 3600                                   | 400 | $.window           | invalidType
            REPLACE `baselineDays`:7, =>                             | 400 | $.baselineDays     | missingMember
            REPLACE `baselineDays`:7 => `baselineDays`:91            | 422 | $.baselineDays     | numberOutOfRange
            REPLACE `baselineDays`:7 => `baselineDays`:0             | 422 | $.baselineDays     | numberOutOfRange
            REPLACE `baselineDays`:7 => `baselineDays`:7.5           | 400 | $.baselineDays     | invalidNumber
            REPLACE `baselineDays`:7 => `baselineDays`:`7`           | 400 | $.baselineDays     | invalidNumber
            REPLACE `minSamples`:10 => `minSamples`:0                | 422 | $.minSamples       | numberOutOfRange
            REPLACE `percentile`:95 => `percentile`:0                | 422 | $.percentile       | numberOutOfRange
            REPLACE `percentile`:95 => `percentile`:100.5            | 422 | $.percentile       | numberOutOfRange
            REPLACE `threshold`:8.0 => `threshold`:`high`            | 400 | $.threshold        | invalidNumber
            REPLACE `rising` => `up`                                 | 422 | $.direction        | unknownDirection
            REPLACE `rising` => true                                 | 400 | $.direction        | invalidDirection
            REPLACE `window` => `windows`                            | 400 | $.windows          | unknownMember
            REPLACE `alert`:{ => `schedule`:1, `alert`:{             | 400 | $.schedule         | unknownMember
            REPLACE {`above`:3.0, `clear`:2.0} => [3, 2]              | 400 | $.alert            | invalidAlert
            REPLACE `clear`:2.0 => `clear`:4.0                        | 422 | $.alert.clear      | clearOnWrongSide
            REPLACE `clear`:2.0 => `clear`:3.0                        | 422 | $.alert.clear      | clearOnWrongSide
            REPLACE `above` => `below`                               | 422 | $.alert.clear      | clearOnWrongSide
            REPLACE , `clear`:2.0} => }                              | 400 | $.alert.clear      | missingAlertClear
            REPLACE `above`:3.0, =>                                  | 400 | $.alert.above      | missingAlertThreshold
            REPLACE `above`:3.0, => `above`:3.0, `below`:1.0,        | 400 | $.alert.below      | ambiguousAlert
            REPLACE `clear`:2.0 => `clear`:2.0, `reset`:1            | 400 | $.alert.reset      | unknownMember
            REPLACE `clear`:2.0 => `clear`:`2`                        | 400 | $.alert.clear      | invalidNumber
            """)
    void refusesABadDefinitionAtItsPath(String edit, int status, String path, String code) {
        TwinError error = refusal("pumpVibration", edited(edit));

        assertThat(error.kind().status()).isEqualTo(status);
        assertThat(error.path()).isEqualTo(path);
        assertThat(error.code()).isEqualTo(code);
        assertThat(error.kind()).isIn(ErrorKind.MALFORMED, ErrorKind.UNPROCESSABLE);
    }

    @Test
    void refusesFunctionsWithoutWhatTheyNeed() {
        String base = "{`targetCondition`:`*`, `input`:`telemetry.x`, `window`:`PT5M`, ";

        assertThat(refusal("a", base + "`function`:`percentile`}").path()).isEqualTo("$.percentile");
        assertThat(refusal("a", base + "`function`:`remainingUsefulLife`, `direction`:`rising`}").path())
                .isEqualTo("$.threshold");
        assertThat(refusal("a", base + "`function`:`remainingUsefulLife`, `threshold`:1}").path())
                .isEqualTo("$.direction");
        TwinError rulMinimum = refusal("a", base + "`function`:`remainingUsefulLife`, `threshold`:1,"
                + " `direction`:`rising`, `minSamples`:2}");
        assertThat(rulMinimum.kind()).isEqualTo(ErrorKind.UNPROCESSABLE);
        assertThat(rulMinimum.path()).isEqualTo("$.minSamples");
    }

    @Test
    void refusesLimitsOfLength() {
        String longSeries = "telemetry." + "a".repeat(257);
        String edgeSeries = "telemetry." + "a.".repeat(127) + "aa";
        String longCondition = "x".repeat(4097);

        assertThat(refusal("a", FULL.replace("telemetry.vibration", longSeries)).path()).isEqualTo("$.input");
        assertThat(parse("a", FULL.replace("telemetry.vibration", edgeSeries)).series()).hasSize(256);
        assertThat(refusal("a", FULL.replace("tags.kind = 'pump'", longCondition)).path())
                .isEqualTo("$.targetCondition");
        assertThat(parse("a", FULL.replace("tags.kind = 'pump'", "x".repeat(4096))).targetCondition()).hasSize(4096);
    }

    @Test
    void refusesABadName() {
        for (String name : new String[] {"", "9lives", "with-dash", "a".repeat(65), "ünïcode"}) {
            TwinError error = refusal(name, FULL);
            assertThat(error.path()).as(name).isEqualTo("name");
            assertThat(error.code()).isEqualTo("invalidName");
            assertThat(error.kind()).isEqualTo(ErrorKind.MALFORMED);
        }
        assertThat(refusal(null, FULL).code()).isEqualTo("invalidName");
        assertThat(parse("a".repeat(64), FULL).name()).hasSize(64);
        assertThat(parse("A_9", FULL).name()).isEqualTo("A_9");
    }

    /** {@code FULL} as a JSON array (not an object), or {@code FULL} with one replacement: {@code REPLACE old => new}. */
    private static String edited(String edit) {
        if (edit.equals("FULL")) {
            return "[" + FULL + "]";
        }
        String[] parts = edit.substring("REPLACE ".length()).split(" =>", -1);
        String result = FULL.replace(parts[0].strip(), parts[1].strip());
        assertThat(result).as("the edit %s changes the body", edit).isNotEqualTo(FULL);
        return result;
    }

    private static TwinError refusal(String name, String body) {
        TwinException refused = catchThrowableOfType(() -> ComputedDefinitions.parse(name, json(body)),
                TwinException.class);
        assertThat(refused).as("refused: %s", body).isNotNull();
        return refused.error();
    }

    private static ComputedDefinition parse(String name, String body) {
        return ComputedDefinitions.parse(name, json(body));
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body.replace('`', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(body, e);
        }
    }
}
