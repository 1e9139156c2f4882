package io.twinplatform.command.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.twinplatform.api.query.Source;
import io.twinplatform.api.query.TwinQuery;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every form of query condition becomes a query the fleet query handler runs, over the same twins. */
class FleetSelectionTest {

    private static final List<String> TWINS = List.of(
            "{`deviceId`:`d1`,`moduleId`:null,`version`:3,`tags`:{`building`:`b1`}}",
            "{`deviceId`:`d2`,`moduleId`:null,`version`:3,`tags`:{`building`:`b2`}}",
            "{`deviceId`:`d3`,`moduleId`:null,`version`:1,`tags`:{`building`:`b2`}}",
            "{`deviceId`:`d1`,`moduleId`:`m1`,`version`:1,`tags`:{`kind`:`edge`}}",
            "{`deviceId`:`d1`,`moduleId`:`m2`,`version`:1,`tags`:{`kind`:`core`}}");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "*                                                      | FROM devices",
            "tags.building = 'b1'                                   | FROM devices WHERE tags.building = 'b1'",
            "FROM devices.modules WHERE tags.kind = 'edge'          | FROM devices.modules WHERE tags.kind = 'edge'",
            "from devices.modules                                   | from devices.modules",
            "SELECT * FROM devices WHERE tags.building = 'b1'       | FROM devices WHERE tags.building = 'b1'",
            "select *from devices.modules                           | from devices.modules"})
    void bringsEachFormToItsFromPart(String condition, String from) {
        assertThat(FleetSelection.from(condition)).isEqualTo(from);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "*                                                | DEVICES",
            "NOT (tags.building = 'b1') AND version > 2       | DEVICES",
            "FROM devices.modules WHERE tags.kind = 'edge'    | MODULES",
            "SELECT * FROM devices.modules                    | MODULES"})
    void theQueriesSentSelectTheSameTwinsAsTheCondition(String condition, Source source) {
        TwinQuery target = TwinQuery.parseTargetCondition(condition);
        TwinQuery ids = TwinQuery.parse(FleetSelection.twinIds(condition));
        TwinQuery count = TwinQuery.parse(FleetSelection.count(condition));

        assertThat(ids.source()).isEqualTo(source);
        assertThat(ids.isAggregating()).isFalse();
        assertThat(count.source()).isEqualTo(source);
        assertThat(count.isAggregating()).isTrue();
        for (String twin : TWINS) {
            JsonNode document = json(twin);
            assertThat(ids.matches(document)).as("%s on %s", ids.text(), twin).isEqualTo(target.matches(document));
            assertThat(count.matches(document)).as("%s on %s", count.text(), twin)
                    .isEqualTo(target.matches(document));
        }
    }

    @Test
    void namesDeviceAndModuleTwins() {
        assertThat(FleetSelection.twinId(JsonNodeFactory.instance.objectNode().put("deviceId", "d1")
                .putNull("moduleId"))).isEqualTo("d1");
        assertThat(FleetSelection.twinId(JsonNodeFactory.instance.objectNode().put("deviceId", "d1")))
                .isEqualTo("d1");
        assertThat(FleetSelection.twinId(JsonNodeFactory.instance.objectNode().put("deviceId", "d1")
                .put("moduleId", "m1"))).isEqualTo("d1/m1");
    }

    private static JsonNode json(String backQuoted) {
        try {
            return new ObjectMapper().readTree(backQuoted.replace('`', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(backQuoted, e);
        }
    }
}
