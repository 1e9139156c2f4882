package io.twinplatform.history.computed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.model.RandomIds;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.query.QueryEvaluator;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.ClearAlert;
import io.twinplatform.api.twin.FindTwin;
import io.twinplatform.api.twin.RaiseAlert;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.history.HistoryWritten;
import io.twinplatform.history.telemetry.TelemetrySample;
import io.twinplatform.history.telemetry.TelemetryStored;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Computes the computed attributes as telemetry and events arrive, never on read (docs/predictive.md). Each
 * committed batch of telemetry ({@link TelemetryStored}) marks its (twin, series) pairs that some definition
 * reads; one thread takes the marked pairs, and for each definition of the series whose target condition the twin
 * meets, reads the definition's window of that series (ending at its latest sample), computes, saves the value with
 * what it was computed from, and raises or clears the definition's alert as the value crosses its thresholds
 * (events of the twin, through the write side). Pairs marked again while they wait are computed once. The
 * definitions over the twin's history (connection events, reports) are marked the same way by each committed batch
 * of the history projection ({@link HistoryWritten}); their window ends at the twin's latest event. A saved value
 * also goes to the {@link ComputedValueSink}, when there is one (the Kafka stream).
 *
 * <p>A twin's membership of a definition's targets is judged on its current document (asked of the read side) and
 * kept for {@value #MEMBERSHIP_SECONDS} s. An anomaly score's hourly baseline is learned from the
 * {@code baselineDays} before the window, and learned again once the window has moved on by an hour.
 */
@Component
public class ComputedEngine implements SmartLifecycle {

    static final long MEMBERSHIP_SECONDS = 30;
    private static final Duration DEFINITIONS_FRESH = Duration.ofSeconds(10);
    private static final Duration BASELINE_FRESH = Duration.ofHours(1);
    private static final Duration ASK = Duration.ofSeconds(10);
    private static final String TRANSPORT = "telemetry";
    private static final Logger log = LoggerFactory.getLogger(ComputedEngine.class);

    private record Key(String twinId, String series) {
    }

    private record Member(String name, long version, String twinId) {
    }

    private record Baseline(HourlyBaseline model, Instant learnedAt, Instant from, Instant to, int samples) {
    }

    /**
     * The definitions over telemetry by the series they read, and those over the twin's history (connection events,
     * reports), as of {@code at}.
     */
    private record Definitions(Map<String, List<ComputedStore.Stored>> bySeries, List<ComputedStore.Stored> fromHistory,
                               Instant at) {
    }

    /** The key that marks a twin for the definitions over its history (no series name holds a space). */
    private static final String HISTORY = " history";

    private final ComputedStore store;
    private final QueryGateway queries;
    private final CommandGateway commands;
    private final ObjectProvider<ComputedValueSink> sinks;
    private final Clock clock = Clock.systemUTC();
    private final Set<Key> marked = ConcurrentHashMap.newKeySet();
    private final Semaphore signal = new Semaphore(0);
    private final Cache<Member, Boolean> members = Caffeine.newBuilder().maximumSize(200_000)
            .expireAfterWrite(Duration.ofSeconds(MEMBERSHIP_SECONDS)).build();
    private final Cache<Member, Baseline> baselines = Caffeine.newBuilder().maximumSize(50_000)
            .expireAfterAccess(Duration.ofDays(1)).build();
    private final Cache<String, TwinQuery> conditions = Caffeine.newBuilder().maximumSize(1_000).build();
    private final Map<String, Rebuild> rebuilds = new ConcurrentHashMap<>();
    private volatile Definitions definitions = new Definitions(Map.of(), List.of(), Instant.EPOCH);
    private volatile boolean running;
    private Thread worker;

    ComputedEngine(ComputedStore store, QueryGateway queries, CommandGateway commands,
                   ObjectProvider<ComputedValueSink> sinks) {
        this.store = store;
        this.queries = queries;
        this.commands = commands;
        this.sinks = sinks;
    }

    /** Marks the batch's (twin, series) pairs that a definition reads; computed on the engine's thread. */
    @EventListener
    public void stored(TelemetryStored batch) {
        Map<String, List<ComputedStore.Stored>> bySeries = definitions().bySeries();
        if (bySeries.isEmpty()) {
            return;
        }
        boolean any = false;
        for (TelemetrySample sample : batch.samples()) {
            if (bySeries.containsKey(sample.name())) {
                any |= marked.add(new Key(sample.twinId(), sample.name()));
            }
        }
        if (any) {
            signal.release();
        }
    }

    /**
     * A rebuild of one definition's values from the stored telemetry: how far it got. Kept by the instance that runs
     * it, until the next rebuild of that definition.
     */
    public record Rebuild(String name, int twins, AtomicLong done, Instant startedAt,
                          AtomicReference<Instant> finishedAt, AtomicReference<String> failure) {

        ObjectNode toJson() {
            ObjectNode json = JsonNodeFactory.instance.objectNode();
            String failed = failure.get();
            json.put("state", failed != null ? "failed" : finishedAt.get() == null ? "running" : "completed");
            json.put("twins", twins);
            json.put("done", done.get());
            json.put("startedAt", Timestamps.format(startedAt));
            Instant finished = finishedAt.get();
            if (finished == null) {
                json.putNull("finishedAt");
            } else {
                json.put("finishedAt", Timestamps.format(finished));
            }
            if (failed != null) {
                json.put("failure", failed);
            }
            return json;
        }
    }

    /**
     * Computes {@code stored}'s value anew for every twin that has telemetry of its series, on a thread of its own;
     * empty when a rebuild of it is running already.
     */
    Optional<Rebuild> rebuild(ComputedStore.Stored stored) {
        String name = stored.definition().name();
        Rebuild running = rebuilds.get(name);
        if (running != null && running.finishedAt().get() == null && running.failure().get() == null) {
            return Optional.empty();
        }
        List<String> twins = stored.definition().source() == ComputedSource.TELEMETRY
                ? store.twinsWith(stored.definition().series()) : store.twinsWithHistory();
        Rebuild rebuild = new Rebuild(name, twins.size(), new AtomicLong(), clock.instant(),
                new AtomicReference<>(), new AtomicReference<>());
        rebuilds.put(name, rebuild);
        DaemonThreads.named("twin-computed-rebuild-").newThread(() -> {
            try {
                for (String twinId : twins) {
                    compute(stored, twinId);
                    rebuild.done().incrementAndGet();
                }
                rebuild.finishedAt().set(clock.instant());
                log.info("computed attribute {} rebuilt for {} twins", name, twins.size());
            } catch (RuntimeException e) {
                rebuild.failure().set("the rebuild stopped after " + rebuild.done().get() + " twins; see the log");
                log.warn("rebuilding computed attribute {} failed", name, e);
            }
        }).start();
        return Optional.of(rebuild);
    }

    /** The last rebuild of {@code name} this instance ran, if any. */
    Optional<Rebuild> lastRebuild(String name) {
        return Optional.ofNullable(rebuilds.get(name));
    }

    /** Marks the twins with new history rows, when a definition reads connection events or reports. */
    @EventListener
    public void historyWritten(HistoryWritten batch) {
        if (definitions().fromHistory().isEmpty()) {
            return;
        }
        boolean any = false;
        for (String twinId : batch.twinIds()) {
            any |= marked.add(new Key(twinId, HISTORY));
        }
        if (any) {
            signal.release();
        }
    }

    /** Definitions changed here: read them again before the next batch. */
    void definitionsChanged() {
        definitions = new Definitions(Map.of(), List.of(), Instant.EPOCH);
    }

    private Definitions definitions() {
        Definitions current = definitions;
        if (Duration.between(current.at(), clock.instant()).compareTo(DEFINITIONS_FRESH) < 0) {
            return current;
        }
        Map<String, List<ComputedStore.Stored>> bySeries = new HashMap<>();
        List<ComputedStore.Stored> fromHistory = new ArrayList<>();
        try {
            for (ComputedStore.Stored stored : store.all()) {
                if (stored.definition().source() == ComputedSource.TELEMETRY) {
                    bySeries.computeIfAbsent(stored.definition().series(), s -> new ArrayList<>()).add(stored);
                } else {
                    fromHistory.add(stored);
                }
            }
        } catch (RuntimeException e) {
            log.warn("computed attribute definitions could not be read; trying again with the next telemetry", e);
            return current;
        }
        Definitions fresh = new Definitions(Map.copyOf(bySeries), List.copyOf(fromHistory), clock.instant());
        definitions = fresh;
        return fresh;
    }

    private void run() {
        while (running) {
            try {
                if (!signal.tryAcquire(1, TimeUnit.SECONDS)) {
                    continue;
                }
                signal.drainPermits();
                List<Key> keys = new ArrayList<>(marked);
                keys.forEach(marked::remove);
                Definitions current = definitions();
                for (Key key : keys) {
                    List<ComputedStore.Stored> reading = key.series().equals(HISTORY) ? current.fromHistory()
                            : current.bySeries().getOrDefault(key.series(), List.of());
                    for (ComputedStore.Stored stored : reading) {
                        compute(stored, key.twinId());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("computing attributes failed; the next telemetry computes them again", e);
            }
        }
    }

    /** Computes one definition for one twin, if the twin is among its targets, and saves the value. */
    void compute(ComputedStore.Stored stored, String twinId) {
        ComputedDefinition definition = stored.definition();
        if (!targets(stored, twinId)) {
            return;
        }
        boolean telemetry = definition.source() == ComputedSource.TELEMETRY;
        Instant end = (telemetry ? store.latest(twinId, definition.series()) : store.latestHistory(twinId))
                .orElse(null);
        if (end == null) {
            return;
        }
        Instant from = end.minus(definition.window());
        ObjectNode detail = JsonNodeFactory.instance.objectNode();
        detail.put("function", definition.function().wireName());
        detail.put("input", definition.input());
        detail.put("windowFrom", Timestamps.format(from));
        detail.put("windowTo", Timestamps.format(end));
        Double value;
        if (definition.function().source() == ComputedSource.TELEMETRY) {
            List<Sample> window = samples(definition, twinId, from, end);
            detail.put("samples", window.size());
            value = value(stored, twinId, window, end, detail);
        } else {
            value = HistoryFunctions.value(definition, store.history(twinId, path(definition), from, end), from, end,
                    detail);
        }
        if (value != null && !Double.isFinite(value)) {
            // Beyond what a double holds (a mean of values near its limit): kept as no value, so that what is stored
            // and what an alert event carries is always a JSON number.
            value = none(detail, "notFinite");
        }
        finite(detail);
        ComputedStore.Value saved = store.save(twinId, definition.name(), value, detail, end).orElse(null);
        if (saved == null) {
            return;
        }
        ComputedStore.Value after = alert(definition, saved);
        ComputedValueSink sink = sinks.getIfAvailable();
        if (sink != null) {
            sink.computed(after);
        }
    }

    /**
     * The samples of the definition's input in {@code (from, to]}: a telemetry series, or a reported property's
     * numbers, each at the time of the event that changed it (a report that changes nothing writes no event; other
     * events leave the property as it was and are not samples of it; values that are no numbers are left out).
     */
    private List<Sample> samples(ComputedDefinition definition, String twinId, Instant from, Instant to) {
        if (definition.source() == ComputedSource.TELEMETRY) {
            return store.samples(twinId, definition.series(), from, to);
        }
        List<Sample> samples = new ArrayList<>();
        JsonNode previous = null;
        for (ComputedStore.HistoryValue value : store.history(twinId, path(definition), from, to)) {
            boolean changed = !Objects.equals(previous, value.value());
            previous = value.value();
            if (changed && value.time().isAfter(from) && value.value() != null && value.value().isNumber()
                    && Double.isFinite(value.value().doubleValue())) {
                samples.add(new Sample(value.time(), value.value().doubleValue()));
            }
        }
        return samples;
    }

    /** Where the definition's input lies in the twin document. */
    private static List<String> path(ComputedDefinition definition) {
        if (definition.source() == ComputedSource.CONNECTION) {
            return List.of("connectionState");
        }
        List<String> path = new ArrayList<>(List.of("properties", "reported"));
        path.addAll(List.of(definition.series().split("\\.")));
        return path;
    }

    private Double value(ComputedStore.Stored stored, String twinId, List<Sample> window, Instant end,
                         ObjectNode detail) {
        ComputedDefinition definition = stored.definition();
        if (definition.function() == ComputedFunction.COUNT) {
            return (double) window.size();
        }
        if (window.size() < definition.minSamples()
                && definition.function() != ComputedFunction.ANOMALY_SCORE) {
            return none(detail, "tooFewSamples");
        }
        WindowStatistics statistics = WindowStatistics.of(window);
        return switch (definition.function()) {
            case MEAN -> orNone(statistics.mean(), detail);
            case MIN -> orNone(statistics.min(), detail);
            case MAX -> orNone(statistics.max(), detail);
            case PERCENTILE -> {
                detail.put("percentile", definition.percentile());
                yield orNone(statistics.percentile(definition.percentile()), detail);
            }
            case RATE_OF_CHANGE -> {
                detail.put("unit", "per hour");
                yield orNone(statistics.ratePerHour(), detail);
            }
            case ANOMALY_SCORE -> anomaly(stored, twinId, window, end, detail);
            case REMAINING_USEFUL_LIFE -> remainingLife(definition, window, end, detail);
            case COUNT -> (double) window.size();
            case UPTIME, TIME_IN_STATE, ERROR_COUNT -> throw new IllegalStateException(
                    definition.function() + " reads the twin's history, not telemetry");
        };
    }

    private Double anomaly(ComputedStore.Stored stored, String twinId, List<Sample> window, Instant end,
                           ObjectNode detail) {
        ComputedDefinition definition = stored.definition();
        if (window.isEmpty()) {
            return none(detail, "tooFewSamples");
        }
        Member member = new Member(definition.name(), stored.version(), twinId);
        Baseline baseline = baselines.getIfPresent(member);
        if (baseline == null || Duration.between(baseline.learnedAt(), end).compareTo(BASELINE_FRESH) >= 0) {
            Instant to = end.minus(definition.window());
            Instant from = to.minus(Duration.ofDays(definition.baselineDays()));
            List<Sample> samples = samples(definition, twinId, from, to);
            baseline = new Baseline(HourlyBaseline.learn(samples, definition.minSamples()), end, from, to,
                    samples.size());
            baselines.put(member, baseline);
        }
        Sample latest = window.get(window.size() - 1);
        int hour = latest.ts().atZone(ZoneOffset.UTC).getHour();
        HourProfile profile = baseline.model().hour(hour);
        ObjectNode model = detail.putObject("baseline");
        model.put("from", Timestamps.format(baseline.from()));
        model.put("to", Timestamps.format(baseline.to()));
        model.put("samples", baseline.samples());
        model.put("hourOfDay", hour);
        model.put("hourSamples", profile.count());
        model.put("median", profile.median());
        model.put("mad", profile.mad());
        detail.put("latest", latest.value());
        return orNone(baseline.model().score(latest.ts(), latest.value()), detail);
    }

    private static Double remainingLife(ComputedDefinition definition, List<Sample> window, Instant end,
                                        ObjectNode detail) {
        detail.put("threshold", definition.threshold());
        detail.put("direction", definition.direction().wireName());
        RulEstimate estimate = RemainingUsefulLife.estimate(window, definition.threshold(), definition.direction(),
                end, Math.max(3, definition.minSamples()));
        if (estimate instanceof RulEstimate.NoPrediction none) {
            return none(detail, none.reason());
        }
        RulEstimate.Prediction prediction = (RulEstimate.Prediction) estimate;
        detail.put("unit", "hours");
        detail.put("failureAt", Timestamps.format(prediction.failureAt()));
        putInstant(detail, "earliest", prediction.earliest());
        putInstant(detail, "latest", prediction.latest());
        detail.put("slopePerHour", prediction.slopePerHour());
        detail.put("rSquared", prediction.rSquared());
        return prediction.remainingHours();
    }

    /** Replaces numbers JSON cannot hold (NaN, infinities) in the detail with null. */
    private static void finite(ObjectNode node) {
        node.fields().forEachRemaining(field -> {
            if (field.getValue() instanceof ObjectNode inner) {
                finite(inner);
            } else if (field.getValue().isNumber() && !Double.isFinite(field.getValue().asDouble())) {
                field.setValue(JsonNodeFactory.instance.nullNode());
            }
        });
    }

    private static void putInstant(ObjectNode node, String field, Instant at) {
        if (at == null) {
            node.putNull(field);
        } else {
            node.put(field, Timestamps.format(at));
        }
    }

    private static Double orNone(OptionalDouble value, ObjectNode detail) {
        return value.isPresent() ? value.getAsDouble() : none(detail, "noResult");
    }

    private static Double none(ObjectNode detail, String reason) {
        detail.put("reason", reason);
        return null;
    }

    /** Whether the twin meets the definition's target condition now (judged at most every 30 s per twin). */
    private boolean targets(ComputedStore.Stored stored, String twinId) {
        Member member = new Member(stored.definition().name(), stored.version(), twinId);
        return members.get(member, m -> {
            try {
                ObjectNode twin = queries.query(new FindTwin(twinId), ObjectNode.class)
                        .get(ASK.toSeconds(), TimeUnit.SECONDS);
                if (twin == null) {
                    return false;
                }
                TwinQuery condition = conditions.get(stored.definition().targetCondition(),
                        TwinQuery::parseTargetCondition);
                return Boolean.TRUE.equals(QueryEvaluator.evaluate(condition.where(), twin));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Exception e) {
                log.debug("twin {} could not be judged for computed attribute {}", twinId, m.name(), e);
                return false;
            }
        });
    }

    /**
     * Raises or clears the definition's alert for the twin as the saved value crosses its thresholds; answers the
     * value with the alert state it then has.
     */
    private ComputedStore.Value alert(ComputedDefinition definition, ComputedStore.Value saved) {
        AlertHysteresis alert = definition.alert();
        Double value = saved.value();
        if (alert == null || value == null) {
            return saved;
        }
        String twinId = saved.twinId();
        String side = alert.side().name().toLowerCase(Locale.ROOT);
        String at = Timestamps.format(saved.computedAt());
        boolean changed = switch (alert.next(saved.alertRaised(), value)) {
            case RAISE -> {
                boolean raised = send(new RaiseAlert(twinId, definition.name(), value, alert.raise(), side, at),
                        definition.name() + " " + value + " is " + side + " " + alert.raise());
                if (raised) {
                    store.alert(twinId, definition.name(), true, clock.instant());
                }
                yield raised;
            }
            case CLEAR -> clear(definition.name(), twinId, value, alert.clear(), at);
            case NONE -> false;
        };
        return !changed ? saved : new ComputedStore.Value(twinId, saved.name(), value, saved.detail(),
                saved.computedAt(), !saved.alertRaised(), clock.instant());
    }

    /** Clears a raised alert (also when its definition is deleted); true when the twin no longer has it. */
    boolean clear(String name, String twinId, double value, double threshold, String computedAt) {
        boolean cleared = send(new ClearAlert(twinId, name, value, threshold, computedAt),
                name + " " + value + " is back past " + threshold);
        if (cleared) {
            store.alert(twinId, name, false, clock.instant());
        }
        return cleared;
    }

    private boolean send(TwinCommands command, String reason) {
        String name = command instanceof RaiseAlert raise ? raise.name() : ((ClearAlert) command).name();
        AuditMetadata audit = new AuditMetadata("computed:" + name, Channel.COMPUTED, TRANSPORT, RandomIds.uuid(),
                reason);
        try {
            commands.send(GenericCommandMessage.asCommandMessage(command).andMetaData(audit.toMap()))
                    .get(ASK.toSeconds(), TimeUnit.SECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            // A deleted twin, a write side that is not reachable: the next value decides again.
            log.info("alert of {} on twin {} not changed: {}", name, command.twinId(), e.getMessage());
            return false;
        }
    }

    @Override
    public void start() {
        running = true;
        worker = DaemonThreads.named("twin-computed-").newThread(this::run);
        worker.start();
    }

    @Override
    public void stop() {
        running = false;
        if (worker != null) {
            worker.interrupt();
            try {
                worker.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
