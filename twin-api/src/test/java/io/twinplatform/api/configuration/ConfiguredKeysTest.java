package io.twinplatform.api.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.model.JsonMergePatch;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.twin.ReleasedKey;
import io.twinplatform.api.twin.TwinConfigurationStatus;
import io.twinplatform.api.twin.TwinConfigurationsApplied;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layering on one twin, decision by decision, with the twin's desired values carried along as the twin would fold
 * them: priority, ties, keys inside keys, leaving the target, deletion, manual changes, and rollback.
 */
class ConfiguredKeysTest {

    private static final ObjectMapper JSON = TwinJson.newMapper();

    private final ConfiguredKeys keys = new ConfiguredKeys();
    private ObjectNode desired = json("{}");

    @Test
    void theHighestPriorityDecidesEachKeyAndTheOthersStillSetTheirOwn() {
        ConfiguredKeys.Decision decision = apply(null, candidate("low", 1, 1, "{'properties.desired.level':'low',"
                + "'properties.desired.onlyLow':true}"), candidate("high", 5, 2, "{'properties.desired.level':'high'}"));

        assertThat(desired).isEqualTo(json("{'level':'high','onlyLow':true}"));
        assertThat(decision.statuses().get("low").status()).isEqualTo(TwinConfigurationStatus.APPLIED);
        assertThat(decision.statuses().get("high").status()).isEqualTo(TwinConfigurationStatus.APPLIED);
    }

    @Test
    void aTieGoesToTheMostRecentlyCreatedAndTheLoserIsOnlyTargeted() {
        ConfiguredKeys.Decision decision = apply(null, candidate("older", 5, 1, "{'properties.desired.level':'a'}"),
                candidate("newer", 5, 2, "{'properties.desired.level':'b'}"));

        assertThat(desired).isEqualTo(json("{'level':'b'}"));
        assertThat(decision.statuses().get("older").status()).isEqualTo(TwinConfigurationStatus.TARGETED);
    }

    @Test
    void aStrongerKeyAroundAWeakerOneReplacesItWhole() {
        desired = json("{'telemetry':{'interval':60,'extra':true}}");
        apply(null, candidate("inner", 1, 1, "{'properties.desired.telemetry.interval':30}"),
                candidate("outer", 2, 2, "{'properties.desired.telemetry':{'format':'cbor'}}"));

        assertThat(desired).isEqualTo(json("{'telemetry':{'format':'cbor'}}"));
    }

    @Test
    void leavingTheTargetFallsBackToTheNextConfigurationThenRemovesTheKey() {
        ConfigurationCandidate low = candidate("low", 1, 1, "{'properties.desired.level':'low'}");
        ConfigurationCandidate high = candidate("high", 5, 2, "{'properties.desired.level':'high'}");
        apply(null, low, high);
        apply(null, low);
        assertThat(desired).isEqualTo(json("{'level':'low'}"));

        ConfiguredKeys.Decision gone = apply(null);
        assertThat(desired).isEqualTo(json("{}"));
        assertThat(gone.released()).extracting(ReleasedKey::outcome).containsExactly(ReleasedKey.REMOVED);
        assertThat(gone.statuses()).isEmpty();
    }

    @Test
    void aKeySomeoneElseChangedIsLeftAloneWhenTheConfigurationGoes() {
        apply(null, candidate("a", 1, 1, "{'properties.desired.mode':'eco'}"));
        desired = json("{'mode':'boost'}");

        ConfiguredKeys.Decision gone = apply(null);

        assertThat(desired).isEqualTo(json("{'mode':'boost'}"));
        assertThat(gone.released()).extracting(ReleasedKey::outcome).containsExactly(ReleasedKey.KEPT);
    }

    @Test
    void aNewDecisionForAKeyOverwritesAManualChangeButAnUnchangedOneDoesNot() {
        ConfigurationCandidate a = candidate("a", 1, 1, "{'properties.desired.mode':'eco'}");
        apply(null, a);
        desired = json("{'mode':'boost'}");

        assertThat(apply(null, a).configured()).isEmpty();
        assertThat(desired).isEqualTo(json("{'mode':'boost'}"));

        apply(null, a, candidate("b", 2, 2, "{'properties.desired.mode':'quiet'}"));
        assertThat(desired).isEqualTo(json("{'mode':'quiet'}"));
    }

    @Test
    void aRollbackRestoresTheValueFromBeforeTheRolloutAndAWithdrawalDoesNot() {
        desired = json("{'firmware':'1.0'}");
        ConfigurationCandidate staged = new ConfigurationCandidate("fw", 10, 1, "*",
                json("{'properties.desired.firmware':'2.0'}"), new Admission("r1", List.of(100.0), 0));
        ConfiguredKeys.Decision taken = apply(null, staged);
        assertThat(taken.configured().get(0).previous()).isEqualTo(json("'1.0'".replace('\'', '"')));
        assertThat(taken.statuses().get("fw").rolloutId()).isEqualTo("r1");

        ConfiguredKeys.Decision rolledBack = apply("r1");
        assertThat(desired).isEqualTo(json("{'firmware':'1.0'}"));
        assertThat(rolledBack.released()).extracting(ReleasedKey::outcome).containsExactly(ReleasedKey.RESTORED);

        apply(null, staged);
        apply(null);
        assertThat(desired).as("withdrawn, not rolled back: removed").isEqualTo(json("{}"));
    }

    @Test
    void aRollbackGivesAKeyBackToTheConfigurationThatStillTargetsTheTwin() {
        ConfigurationCandidate base = candidate("base", 1, 1, "{'properties.desired.firmware':'1.0'}");
        apply(null, base);
        apply(null, base, new ConfigurationCandidate("fw", 10, 2, "*", json("{'properties.desired.firmware':'2.0'}"),
                new Admission("r1", List.of(100.0), 0)));
        assertThat(desired).isEqualTo(json("{'firmware':'2.0'}"));

        apply("r1", base);

        assertThat(desired).isEqualTo(json("{'firmware':'1.0'}"));
    }

    @Test
    void nothingChangesWhenTheSameConfigurationsAreOfferedAgain() {
        ConfigurationCandidate a = candidate("a", 1, 1, "{'properties.desired.mode':'eco'}");
        apply(null, a);

        ConfiguredKeys.Decision again = keys.decide(targeting(a), desired, null);

        assertThat(again.changesNothing(keys.statuses())).isTrue();
        assertThat(again.desiredPatch()).isEmpty();
    }

    @Test
    void theKeysRoundTripThroughJackson() throws Exception {
        apply(null, candidate("a", 1, 1, "{'properties.desired.mode':'eco'}"));

        ConfiguredKeys read = JSON.readValue(JSON.writeValueAsString(keys), ConfiguredKeys.class);

        assertThat(read.keys()).isEqualTo(keys.keys());
        assertThat(read.statuses()).isEqualTo(keys.statuses());
    }

    /** Decides, then folds the result the way the twin does (desired patch and the keys). */
    private ConfiguredKeys.Decision apply(String revertRolloutId, ConfigurationCandidate... offered) {
        ConfiguredKeys.Decision decision = keys.decide(targeting(offered), desired, revertRolloutId);
        desired = JsonMergePatch.applyToObject(desired, decision.desiredPatch());
        keys.apply(new TwinConfigurationsApplied("t", decision.statuses(), decision.configured(), decision.released(),
                decision.desiredPatch(), 1, 1));
        return decision;
    }

    private static List<ConfiguredKeys.Targeting> targeting(ConfigurationCandidate... offered) {
        List<ConfiguredKeys.Targeting> list = new ArrayList<>();
        for (ConfigurationCandidate c : offered) {
            list.add(new ConfiguredKeys.Targeting(c, c.admission() == null ? null : 0));
        }
        return list;
    }

    private static ConfigurationCandidate candidate(String id, int priority, long created, String content) {
        return new ConfigurationCandidate(id, priority, created, "*", json(content), null);
    }

    @SuppressWarnings("unchecked")
    private static <T extends JsonNode> T json(String singleQuoted) {
        try {
            return (T) JSON.readTree(singleQuoted.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }
}
