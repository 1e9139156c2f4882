package io.twinplatform.api.device;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A flood of device messages becomes one command with the latest time of each twin. */
class DeviceActivityTest {

    private static final Instant T1 = Instant.parse("2026-03-02T08:15:29.604Z");
    private static final Instant T2 = Instant.parse("2026-03-02T08:15:30.001Z");
    private static final Instant T3 = Instant.parse("2026-03-02T08:15:31.842Z");

    @Test
    void drainsNothingWhenNoDeviceWasHeardFrom() {
        assertThat(new DeviceActivity().drain()).isNull();
    }

    @Test
    void keepsTheLatestTimeOfEachTwinWhateverOrderMessagesArriveIn() {
        DeviceActivity activity = new DeviceActivity();

        activity.seen("thermostat-0042", T1);
        activity.seen("thermostat-0042", T3);
        activity.seen("thermostat-0042", T2);
        activity.seen("thermostat-0042/climate", T2);

        assertThat(activity.drain().lastSeen()).isEqualTo(Map.of("thermostat-0042", T3, "thermostat-0042/climate", T2));
    }

    @Test
    void aDrainEmptiesWhatWasCollected() {
        DeviceActivity activity = new DeviceActivity();
        activity.seen("thermostat-0042", T1);

        RecordDeviceActivity first = activity.drain();

        assertThat(first.lastSeen()).containsOnlyKeys("thermostat-0042");
        assertThat(activity.drain()).isNull();
    }

    @Test
    void collectsAgainAfterADrainWithoutChangingWhatWasDrained() {
        DeviceActivity activity = new DeviceActivity();
        activity.seen("thermostat-0042", T1);
        RecordDeviceActivity first = activity.drain();

        activity.seen("thermostat-0042", T3);
        activity.seen("thermostat-0043", T2);

        assertThat(first.lastSeen()).isEqualTo(Map.of("thermostat-0042", T1));
        assertThat(activity.drain().lastSeen()).isEqualTo(Map.of("thermostat-0042", T3, "thermostat-0043", T2));
    }

    @Test
    void theDrainedCommandCannotBeChanged() {
        DeviceActivity activity = new DeviceActivity();
        activity.seen("thermostat-0042", T1);

        Map<String, Instant> lastSeen = activity.drain().lastSeen();

        assertThatThrownBy(() -> lastSeen.put("thermostat-0043", T2)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void losesNoTwinWhenManyThreadsReportWhileOneDrains() throws InterruptedException {
        DeviceActivity activity = new DeviceActivity();
        int threads = 4;
        int twinsPerThread = 2_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> reporters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int offset = t * twinsPerThread;
            Thread reporter = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < twinsPerThread; i++) {
                    activity.seen("d" + (offset + i), T1);
                }
            });
            reporter.start();
            reporters.add(reporter);
        }
        List<String> drained = new ArrayList<>();

        start.countDown();
        while (reporters.stream().anyMatch(Thread::isAlive)) {
            RecordDeviceActivity batch = activity.drain();
            if (batch != null) {
                drained.addAll(batch.lastSeen().keySet());
            }
        }
        for (Thread reporter : reporters) {
            reporter.join();
        }
        RecordDeviceActivity rest = activity.drain();
        if (rest != null) {
            drained.addAll(rest.lastSeen().keySet());
        }

        assertThat(drained).hasSize(threads * twinsPerThread).doesNotHaveDuplicates();
    }
}
