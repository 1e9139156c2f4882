package io.twinplatform.history;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthContributorRegistry;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

/**
 * Whether TimescaleDB's policy jobs age the platform's hypertables: once started and every {@link #EVERY} it reads
 * each table's jobs ({@link TimeSeriesTable#policyJobs}) and keeps what it read for the health component
 * {@value #HEALTH} ({@code DEGRADED}, still HTTP 200, while a job is failed or stale, naming each job) and the gauge
 * {@value #METER}{@code {table,job,state}} (1 for the state each job is in, 0 for the others). Neither asks the
 * database when read, so a frozen database does not hold up the health answer. When no table is a hypertable (the
 * native dialect) it does nothing at all: no component, no meter.
 * <p>
 * Used by the history side and by telemetry, whichever runs; each table's retention acts on its own job's state
 * ({@link Hypertable#dropOlderThan}).
 */
@Component
public class TimescaleJobs implements ApplicationListener<ContextRefreshedEvent>, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(TimescaleJobs.class);
    /** How often the jobs are read after the read at start-up. */
    static final Duration EVERY = Duration.ofMinutes(5);
    /** The health component's name. */
    public static final String HEALTH = "timescaleJobs";
    /** The gauge's name. */
    public static final String METER = "twin.timescale.jobs";
    static final Status DEGRADED = new Status("DEGRADED",
            "a TimescaleDB policy job failed or has not run; the platform's own retention drops old chunks meanwhile");

    private final List<TimeSeriesTable> tables;
    private final TaskScheduler scheduler;
    private final MeterRegistry meters;
    private final HealthContributorRegistry health;
    private final Set<String> gauges = ConcurrentHashMap.newKeySet();
    private volatile List<PolicyJob.Verdict> verdicts = List.of();
    private volatile boolean unreadable;
    private volatile ScheduledFuture<?> runs;

    @Autowired
    TimescaleJobs(ObjectProvider<TimeSeriesTable> tables, TaskScheduler scheduler, ObjectProvider<MeterRegistry> meters,
                  ObjectProvider<HealthContributorRegistry> health) {
        this(tables.orderedStream().toList(), scheduler, meters.getIfAvailable(), health.getIfAvailable());
    }

    /**
     * @param scheduler runs the reads after the first; may be null where no context is refreshed
     * @param meters    where the gauge goes; may be null
     * @param health    where the health component goes; may be null
     */
    TimescaleJobs(List<TimeSeriesTable> tables, TaskScheduler scheduler, MeterRegistry meters,
                  HealthContributorRegistry health) {
        this.tables = tables.stream().filter(table -> table instanceof Hypertable).toList();
        this.scheduler = scheduler;
        this.meters = meters;
        this.health = health;
    }

    /**
     * Registers the health component, reads the jobs and schedules the reads: once the context is refreshed, when
     * every table's retention has run once at start-up and so made its policies.
     */
    @Override
    public synchronized void onApplicationEvent(ContextRefreshedEvent event) {
        if (tables.isEmpty() || runs != null) {
            return;
        }
        if (health != null) {
            health.registerContributor(HEALTH, (HealthIndicator) this::health);
        }
        refresh();
        runs = scheduler.scheduleAtFixedRate(this::refresh, scheduler.getClock().instant().plus(EVERY), EVERY);
    }

    @Override
    public void destroy() {
        ScheduledFuture<?> scheduled = runs;
        if (scheduled != null) {
            scheduled.cancel(true);
        }
        if (health != null && !tables.isEmpty()) {
            health.unregisterContributor(HEALTH);
        }
    }

    /**
     * Reads every table's jobs now and keeps them for the health component and the gauge; returns them. When the
     * database cannot be asked, keeps what it read last and logs it once.
     */
    public synchronized List<PolicyJob.Verdict> refresh() {
        List<PolicyJob.Verdict> read = new ArrayList<>();
        try {
            tables.forEach(table -> read.addAll(table.policyJobs()));
        } catch (RuntimeException e) {
            if (!unreadable) {
                log.warn("could not read the TimescaleDB jobs; health and {} show the last read until it works", METER,
                        e);
                unreadable = true;
            }
            return verdicts;
        }
        unreadable = false;
        verdicts = List.copyOf(read);
        if (meters != null) {
            read.forEach(verdict -> register(verdict.job()));
        }
        return verdicts;
    }

    /** {@code DEGRADED} while a job is failed or stale, UP otherwise; each table's jobs in the details. */
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        boolean degraded = false;
        for (PolicyJob.Verdict verdict : verdicts) {
            PolicyJob job = verdict.job();
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("state", verdict.state().tag());
            detail.put("job", job.id());
            detail.put("target", job.target());
            detail.put("every", job.every().toString());
            detail.put("scheduled", job.scheduled());
            detail.put("lastRun", job.lastRun());
            detail.put("lastSuccess", job.lastSuccess() == null ? null : job.lastSuccess().toString());
            detail.put("failures", job.failures());
            @SuppressWarnings("unchecked")
            Map<String, Object> table = (Map<String, Object>) details.computeIfAbsent(job.table(),
                    name -> new LinkedHashMap<String, Object>());
            table.put(job.kind().tag(), detail);
            degraded |= verdict.state() != PolicyJob.State.OK;
        }
        return (degraded ? Health.status(DEGRADED) : Health.up()).withDetails(details).build();
    }

    private void register(PolicyJob job) {
        if (!gauges.add(job.table() + "/" + job.kind())) {
            return;
        }
        for (PolicyJob.State state : PolicyJob.State.values()) {
            Gauge.builder(METER, this, jobs -> jobs.is(job.table(), job.kind(), state) ? 1 : 0)
                    .description("TimescaleDB policy jobs of the platform's tables by state: 1 for the state a job"
                            + " is in")
                    .tags("table", job.table(), "job", job.kind().tag(), "state", state.tag())
                    .register(meters);
        }
    }

    private boolean is(String table, PolicyJob.Kind kind, PolicyJob.State state) {
        return verdicts.stream().anyMatch(verdict -> verdict.job().table().equals(table)
                && verdict.job().kind() == kind && verdict.state() == state);
    }
}
