package io.twinplatform.api.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A rollout body as the issue writes it parses; each mistake is refused at its path. */
class RolloutSpecTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BODY = "{'configurationId':'fw-2-5','phases':[{'name':'canary','percent':5},"
            + "{'percent':25},{'percent':100}],'success':{'metric':'compliant','minPercent':95,'soakSeconds':600},"
            + "'failure':{'reportedCondition':'properties.reported.firmware.state = `Error`','maxPercent':2},"
            + "'onFailure':'rollback','phaseTimeoutSeconds':3600}";

    @Test
    void theIssuesBodyParses() {
        RolloutSpec spec = RolloutSpec.parse(body(BODY));

        assertThat(spec.configurationId()).isEqualTo("fw-2-5");
        assertThat(spec.percents()).containsExactly(5.0, 25.0, 100.0);
        assertThat(spec.phases().get(0).name()).isEqualTo("canary");
        assertThat(spec.phases().get(1).name()).isEqualTo("phase-2");
        assertThat(spec.success()).isEqualTo(new RolloutSpec.Success("compliant", 95, 600));
        assertThat(spec.failure().maxPercent()).isEqualTo(2);
        assertThat(spec.onFailure()).isEqualTo(RolloutSpec.OnFailure.ROLLBACK);
        assertThat(spec.phaseTimeoutSeconds()).isEqualTo(3600);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "no configuration   | configurationId |                         | 400 | missingConfigurationId | $.configurationId",
            "no phases          | phases          | []                      | 400 | invalidPhases          | $.phases",
            "falling phases     | phases          | [{'percent':50},{'percent':20}] | 422 | invalidPhases | $.phases[1].percent",
            "phase over 100     | phases          | [{'percent':150}]       | 422 | invalidPhases          | $.phases[0].percent",
            "no success         | success         |                         | 400 | invalidSuccess         | $.success",
            "percent too high   | success         | {'metric':'m','minPercent':101} | 422 | invalidPercent | $.success.minPercent",
            "bad condition      | failure         | {'reportedCondition':'a =','maxPercent':2} | 400 | | $.failure.reportedCondition",
            "unknown onFailure  | onFailure       | 'retry'                 | 400 | invalidOnFailure       | $.onFailure",
            "zero timeout       | phaseTimeoutSeconds | 0                   | 422 | invalidSeconds         | $.phaseTimeoutSeconds",
            "unknown member     | colour          | 'red'                   | 400 | unknownMember          | $.colour",
    })
    void mistakesAreRefusedAtTheirPath(String name, String member, String value, int status, String code,
                                       String path) {
        ObjectNode body = body(BODY);
        if (value == null) {
            body.remove(member);
        } else {
            body.set(member, node(value));
        }

        assertThatThrownBy(() -> RolloutSpec.parse(body)).isInstanceOfSatisfying(TwinException.class, e -> {
            assertThat(e.error().kind().status()).isEqualTo(status);
            if (code != null) {
                assertThat(e.error().code()).isEqualTo(code);
            }
            assertThat(e.error().path()).startsWith(path);
        });
    }

    @Test
    void anUppercaseRolloutIdIsRefused() {
        assertThatThrownBy(() -> RolloutSpec.checkId("Canary")).isInstanceOfSatisfying(TwinException.class,
                e -> assertThat(e.error().kind()).isEqualTo(ErrorKind.MALFORMED));
    }

    private static ObjectNode body(String singleQuoted) {
        return (ObjectNode) node(singleQuoted);
    }

    private static JsonNode node(String singleQuoted) {
        try {
            // Single quotes stand for double quotes, backquotes for single quotes inside strings.
            return JSON.readTree(singleQuoted.replace('\'', '"').replace('`', '\''));
        } catch (Exception e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }
}
