package io.twinplatform.api.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.twin.TwinId;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScopeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Scope PLANT = Scope.parse("tags.site = 'plant-7'");

    private static JsonNode json(String singleQuoted) throws Exception {
        return JSON.readTree(singleQuoted.replace('\'', '"'));
    }

    private static TwinError refusal(String text) {
        try {
            Scope.parse(text);
        } catch (TwinException e) {
            return e.error();
        }
        throw new AssertionError("parsed: " + text);
    }

    @Test
    void aScopeIsABareConditionAndNothingElse() {
        assertThat(refusal("").code()).isEqualTo("invalidScope");
        assertThat(refusal("*").code()).isEqualTo("invalidScope");
        assertThat(refusal("FROM devices.modules WHERE tags.a = 1").code()).isEqualTo("invalidScope");
        assertThat(refusal("SELECT * FROM devices WHERE tags.a = 1").code()).isEqualTo("invalidScope");
        assertThat(refusal("tags.site = 'x' OR").path()).as("the position at fault").isEqualTo("@18");
        assertThat(refusal("tags.a = '" + "x".repeat(Scope.MAX_LENGTH) + "'").kind()).isEqualTo(ErrorKind.MALFORMED);
        assertThat(Scope.parse("tags.site = 'a' OR tags.site = 'b'").text()).isEqualTo("tags.site = 'a' OR tags.site = 'b'");
    }

    @Test
    void aTwinIsInsideOnlyWhenTheConditionIsTrue() throws Exception {
        assertThat(PLANT.admits(json("{'deviceId':'d','tags':{'site':'plant-7'}}"))).isTrue();
        assertThat(PLANT.admits(json("{'deviceId':'d','tags':{'site':'plant-8'}}"))).isFalse();
        assertThat(PLANT.admits(json("{'deviceId':'d','tags':{}}"))).as("undefined is outside").isFalse();
        assertThat(PLANT.admits(json("{'deviceId':'d','moduleId':'m','tags':{'site':'plant-7'}}")))
                .as("module twins are judged on their own document").isTrue();
        assertThat(PLANT.admits(null)).isFalse();
    }

    @Test
    void aTargetIsCoveredWhenItHoldsEveryTermOfTheScope() {
        Scope two = Scope.parse("tags.site = 'plant-7' AND tags.ring IN [1, 2]");
        assertThat(PLANT.covers(TwinQuery.parseTargetCondition("tags.ring = 1 AND tags.site='plant-7'"))).isTrue();
        assertThat(PLANT.covers(TwinQuery.parseTargetCondition("FROM devices.modules WHERE tags.site = 'plant-7'")))
                .isTrue();
        assertThat(PLANT.covers(TwinQuery.parseTargetCondition("tags.site = 'plant-7' OR tags.ring = 1"))).isFalse();
        assertThat(PLANT.covers(TwinQuery.parseTargetCondition("*"))).isFalse();
        assertThat(PLANT.covers(TwinQuery.parseTargetCondition("tags.site != 'plant-7'"))).isFalse();
        assertThat(two.covers(TwinQuery.parseTargetCondition("tags.ring IN [1.0, 2] AND tags.site = 'plant-7'")))
                .as("numbers compare by value").isTrue();
        assertThat(two.covers(TwinQuery.parseTargetCondition("tags.ring IN [2, 1] AND tags.site = 'plant-7'")))
                .as("written differently is not recognised: the refusal says how to write it").isFalse();
        assertThatThrownBy(() -> PLANT.requireCovers("tags.ring = 1", "$.targetCondition"))
                .isInstanceOfSatisfying(TwinException.class, e -> {
                    assertThat(e.error().kind()).isEqualTo(ErrorKind.FORBIDDEN);
                    assertThat(e.error().path()).isEqualTo("$.targetCondition");
                    assertThat(e.error().detail()).contains("(tags.site = 'plant-7') AND");
                });
    }

    @Test
    void aQueryIsNarrowedAndKeepsItsText() {
        TwinQuery query = TwinQuery.parse("SELECT * FROM devices WHERE tags.a = 1");
        TwinQuery narrowed = PLANT.narrow(query);
        assertThat(narrowed.text()).isEqualTo(query.text());
        assertThat(narrowed.where()).isInstanceOf(Condition.And.class);
        assertThat(PLANT.narrow(TwinQuery.parse("SELECT * FROM devices")).where()).isEqualTo(PLANT.condition());
    }

    @Test
    void aWriteMayNeitherReachOutsideNorLeaveTheTwinOutside() throws Exception {
        TwinId id = TwinId.device("d");
        JsonNode inside = json("{'deviceId':'d','tags':{'site':'plant-7'},'properties':{'desired':{},'reported':{}}}");
        JsonNode outside = json("{'deviceId':'d','tags':{'site':'plant-8'}}");
        assertThat(ScopedWrites.refusal(null, id, outside, ScopedWrites.Kind.PATCH, json("{}"))).isNull();
        assertThat(ScopedWrites.refusal(PLANT, id, outside, ScopedWrites.Kind.UNCHANGED, null).code())
                .isEqualTo("outsideScope");
        assertThat(ScopedWrites.refusal(PLANT, id, inside, ScopedWrites.Kind.PATCH,
                json("{'tags':{'ring':1},'properties':{'desired':{'a':1}}}"))).isNull();
        assertThat(ScopedWrites.refusal(PLANT, id, inside, ScopedWrites.Kind.PATCH, json("{'tags':{'site':null}}")))
                .isNotNull();
        assertThat(ScopedWrites.refusal(PLANT, id, inside, ScopedWrites.Kind.REPLACE, json("{'tags':{'ring':1}}")))
                .as("a replacement without the site tag leaves the twin outside").isNotNull();
        assertThat(ScopedWrites.refusal(PLANT, id, null, ScopedWrites.Kind.REPLACE,
                json("{'tags':{'site':'plant-7'}}"))).as("a new twin inside").isNull();
        assertThat(ScopedWrites.refusal(PLANT, id, null, ScopedWrites.Kind.REPLACE, json("{}"))).isNotNull();

        Scope reported = Scope.parse("properties.reported.zone = 'a'");
        JsonNode zoned = json("{'deviceId':'d','properties':{'reported':{'zone':'a'},'desired':{'zone':'a'}}}");
        assertThat(ScopedWrites.refusal(reported, id, zoned, ScopedWrites.Kind.REPORTED, json("{'zone':'b'}")))
                .isNotNull();
        assertThat(ScopedWrites.refusal(reported, id, zoned, ScopedWrites.Kind.SHADOW,
                json("{'state':{'reported':{'zone':'b'}}}"))).isNotNull();
        assertThat(ScopedWrites.refusal(reported, id, zoned, ScopedWrites.Kind.SHADOW, json("{'state':null}")))
                .isNotNull();
        assertThat(ScopedWrites.refusal(reported, id, zoned, ScopedWrites.Kind.SHADOW,
                json("{'state':{'desired':{'zone':'b'}}}"))).isNull();
        assertThat(ScopedWrites.refusal(Scope.parse("status = 'enabled'"), id, json("{'deviceId':'d',"
                + "'status':'enabled'}"), ScopedWrites.Kind.STATUS, json("{'status':'disabled'}"))).isNotNull();
    }
}
