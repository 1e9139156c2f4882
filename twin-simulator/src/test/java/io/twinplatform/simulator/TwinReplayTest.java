package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.twinplatform.simulator.SimulatedDeviceTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** What a replay publishes and creates, worked out from a recording without a platform. */
class TwinReplayTest {

    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    @Test
    void theRecordingBecomesOneSequenceInRecordedOrderWithTheSamplesOfOneInstantInOneMessage() {
        List<PlatformClient.ReportedChange> reports = List.of(
                new PlatformClient.ReportedChange(T0.plusSeconds(5), json("{'a':1}")),
                new PlatformClient.ReportedChange(T0.plusSeconds(1), json("{'a':null}")));
        List<HourlyProfile.Sample> samples = List.of(
                new HourlyProfile.Sample(T0.plusSeconds(5), "temperature", 21),
                new HourlyProfile.Sample(T0, "temperature", 20),
                new HourlyProfile.Sample(T0.plusSeconds(5), "env.humidity", 40));

        List<TwinReplay.Step> steps = TwinReplay.timeline(reports, samples);

        assertThat(steps).containsExactly(
                new TwinReplay.Measurements(T0, json("{'temperature':20.0}")),
                new TwinReplay.Report(T0.plusSeconds(1), json("{'a':null}")),
                new TwinReplay.Report(T0.plusSeconds(5), json("{'a':1}")),
                new TwinReplay.Measurements(T0.plusSeconds(5), json("{'temperature':21.0,'env.humidity':40.0}")));
    }

    @Test
    void moreMeasurementsAtOneInstantThanAMessageHoldsAreSplit() {
        List<HourlyProfile.Sample> samples = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            samples.add(new HourlyProfile.Sample(T0, "m" + i, i));
        }

        List<TwinReplay.Step> steps = TwinReplay.timeline(List.of(), samples);

        assertThat(steps).hasSize(3).allMatch(step -> step.at().equals(T0));
        assertThat(steps.stream().mapToInt(step -> ((TwinReplay.Measurements) step).values().size()))
                .containsExactly(100, 100, 50);
    }

    @Test
    void theNewTwinHasTheSourcesTagsAndDesiredValuesWithoutTheirMetadata() {
        ObjectNode source = json("{'deviceId':'d1','etag':'\"3\"','tags':{'site':'lab'},'properties':{"
                + "'desired':{'mode':'eco','limits':{'max':30},'$version':2,'$metadata':{'$lastUpdated':'x'}},"
                + "'reported':{'a':1}}}");

        assertThat(TwinReplay.target(source)).isEqualTo(json("{'tags':{'site':'lab'},'properties':{'desired':"
                + "{'mode':'eco','limits':{'max':30}}}}"));
    }
}
