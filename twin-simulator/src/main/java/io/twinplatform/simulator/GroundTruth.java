package io.twinplatform.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The faults a run injected, per device, written to {@code --ground-truth} when the fleet starts, so that a detector's
 * findings can be scored afterwards:
 * <pre>{@code
 * {"seed":7,"simulatedStart":"2026-12-01T00:00:00Z","timeScale":3600.0,
 *  "devices":{"sim-0001":{"failure":"2026-12-02T00:00:00Z",
 *                         "failures":[{"series":"temperature","at":"2026-12-02T00:00:00Z","startValue":20.0,"failValue":80.0}],
 *                         "spikes":[{"series":"humidity","at":"2026-12-01T03:12:09.412Z","sigmas":6.0}]}}}
 * }</pre>
 * {@code failure} is the earliest failure instant (null without {@code --inject-degradation}); instants are simulated
 * time, the {@code ts} the samples carry. A spike lands on the device's first telemetry sample at or after its
 * instant (within one telemetry period, if the device is connected).
 */
final class GroundTruth {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private GroundTruth() {
    }

    static ObjectNode document(long seed, SimulatedTime time, Map<String, InjectedTelemetry> devices) {
        ObjectNode root = JSON.createObjectNode();
        root.put("seed", seed);
        root.put("simulatedStart", time.simulatedStart().toString());
        root.put("timeScale", time.scale());
        ObjectNode byDevice = root.putObject("devices");
        devices.forEach((twinId, injected) -> {
            ObjectNode device = byDevice.putObject(twinId);
            var failures = injected.failures();
            if (failures.isEmpty()) {
                device.putNull("failure");
            } else {
                device.put("failure", failures.get(0).at().toString());
            }
            ArrayNode failureList = device.putArray("failures");
            failures.forEach(f -> failureList.addObject().put("series", f.series()).put("at", f.at().toString())
                    .put("startValue", f.startValue()).put("failValue", f.failValue()));
            ArrayNode spikes = device.putArray("spikes");
            injected.spikes().forEach(s -> spikes.addObject().put("series", s.series()).put("at", s.at().toString())
                    .put("sigmas", s.sigmas()));
        });
        return root;
    }

    /** Writes {@link #document} to {@code file} (replacing it), creating its directory. */
    static void write(Path file, long seed, SimulatedTime time, Map<String, InjectedTelemetry> devices) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            JSON.writeValue(file.toFile(), document(seed, time, devices));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the ground truth to " + file, e);
        }
    }
}
