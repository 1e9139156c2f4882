package io.twinplatform.command.twin;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TwinBatchTest {

    private static List<TwinBatch.Item> parse(String body) {
        return TwinBatch.parse(body.replace('\'', '"').getBytes(StandardCharsets.UTF_8), 10);
    }

    private static TwinError envelopeError(String body) {
        try {
            parse(body);
        } catch (TwinException e) {
            return e.error();
        }
        throw new AssertionError("accepted: " + body);
    }

    @Test
    void readsReportedAndOperatorPatchesAsTheSingleEndpointsCommands() {
        List<TwinBatch.Item> items = parse("{'items':["
                + "{'deviceId':'d1','moduleId':null,'reported':{'a':1},'idempotencyKey':'k1'},"
                + "{'deviceId':'d2','moduleId':'m1','patch':{'tags':{'t':1},'properties':{'desired':{'x':2}}},"
                + "'ifMatch':'W/\\'3\\''}]}");

        assertThat(items).hasSize(2);
        assertThat(items.get(0).channel()).isEqualTo(Channel.DEVICE);
        assertThat(items.get(0).command()).isInstanceOfSatisfying(PatchReportedProperties.class, command -> {
            assertThat(command.twinId()).isEqualTo("d1");
            assertThat(command.patch().path("a").asInt()).isEqualTo(1);
            assertThat(command.idempotencyKey()).isEqualTo("k1");
        });
        assertThat(items.get(1).channel()).isEqualTo(Channel.API);
        assertThat(items.get(1).command()).isInstanceOfSatisfying(PatchTwin.class, command -> {
            assertThat(command.twinId()).isEqualTo("d2/m1");
            assertThat(command.tags().path("t").asInt()).isEqualTo(1);
            assertThat(command.desired().path("x").asInt()).isEqualTo(2);
            assertThat(command.expectedVersion()).isEqualTo(3L);
        });
    }

    @Test
    void refusesABadItemAloneAtItsPath() {
        List<TwinBatch.Item> items = parse("{'items':["
                + "{'deviceId':'d1','reported':{'a':'x\\u0000y'}},"
                + "{'deviceId':'d1','reported':{'a':1}},"
                + "{'deviceId':'d1','patch':{'properties':{'reported':{}}}},"
                + "{'deviceId':'d1','patch':{'tags':null}},"
                + "{'deviceId':'d/1','reported':{}},"
                + "{'deviceId':'d1','reported':[]},"
                + "{'deviceId':'d1','reported':{},'patch':{}},"
                + "{'deviceId':'d1','reported':{},'idempotencyKey':''},"
                + "{'deviceId':'d1','reported':{},'extra':1},"
                + "7]}");

        assertThat(items).extracting(item -> item.error() == null ? "ok" : item.error().code() + " " + item.error().path())
                .containsExactly(
                        "invalidText $.items[0].reported.a",
                        "ok",
                        "readOnlyMember $.items[2].patch.properties.reported",
                        "nullSection $.items[3].patch.tags",
                        "invalidId $.items[4].deviceId",
                        "notAnObject $.items[5].reported",
                        "oneWritePerItem $.items[6]",
                        "invalidIdempotencyKey $.items[7].idempotencyKey",
                        "unknownMember $.items[8].extra",
                        "notAnObject $.items[9]");
        assertThat(items.get(1).command()).isNotNull();
        assertThat(items.get(0).command()).isNull();
    }

    @Test
    void placesTheTwinsRefusalsBelowTheItem() {
        List<TwinBatch.Item> items = parse("{'items':[{'deviceId':'d1','reported':{}},"
                + "{'deviceId':'d1','patch':{}}]}");

        assertThat(items.get(0).placed(TwinError.at(ErrorKind.MALFORMED, "invalidKey",
                "$.properties.reported['$a']", "d")).path()).isEqualTo("$.items[0].reported['$a']");
        assertThat(items.get(1).placed(TwinError.at(ErrorKind.MALFORMED, "invalidKey",
                "$.properties.desired['$a']", "d")).path()).isEqualTo("$.items[1].patch.properties.desired['$a']");
        assertThat(items.get(1).placed(TwinError.of(ErrorKind.PRECONDITION_FAILED, "etagMismatch", "d")).path())
                .isNull();
    }

    @Test
    void refusesAMalformedEnvelopeWhole() {
        assertThat(envelopeError("not json").code()).isEqualTo("malformedJson");
        assertThat(envelopeError("[]").code()).isEqualTo("notAnObject");
        assertThat(envelopeError("{}").code()).isEqualTo("missingItems");
        assertThat(envelopeError("{'items':{}}").path()).isEqualTo("$.items");
        assertThat(envelopeError("{'items':[],'more':1}").path()).isEqualTo("$.more");
        TwinError tooMany = envelopeError("{'items':[" + "{},".repeat(10) + "{}]}");
        assertThat(tooMany.kind()).isEqualTo(ErrorKind.TOO_LARGE);
        assertThat(tooMany.code()).isEqualTo("tooManyItems");
        assertThatThrownBy(() -> TwinBatch.parse(new byte[]{'{', '"', (byte) 0xFF, '"', ':', '1', '}'}, 10))
                .isInstanceOf(TwinException.class);
    }

    @Test
    void keepsDuplicatesOfOneTwinInTheirOrder() {
        List<TwinBatch.Item> items = parse("{'items':[{'deviceId':'d1','reported':{'a':1}},"
                + "{'deviceId':'d1','reported':{'a':2}}]}");

        assertThat(items).extracting(item -> ((PatchReportedProperties) item.command()).patch().path("a").asInt())
                .containsExactly(1, 2);
    }
}
