package io.twinplatform.command.job;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.job.CompleteJob;
import io.twinplatform.api.job.FailJob;
import io.twinplatform.api.job.StartJob;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.query.RunTwinQuery;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.command.dispatch.CommandDispatcher;
import io.twinplatform.command.ratelimit.TokenBucket;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs due jobs. A poller looks every {@code twin.jobs.poll-interval} for jobs whose start time has come and that no
 * runner holds, claims up to {@code twin.jobs.max-concurrent-jobs} of them in the job table, and runs each as a
 * {@link JobExecution} on a worker thread. A claim is renewed at every checkpoint and given up when the run ends or
 * this process stops; if the process dies, the claim lapses after {@code twin.jobs.claim-duration} and any instance
 * resumes the job from its last finished page. Twins are selected through the query bus and updated through the
 * command bus only: the write side knows nothing else of the read side.
 *
 * <p>Every command a job sends carries the audit metadata principal {@code job:<id>}, channel {@code job}, transport
 * {@code job}, the job id as correlation id, and the reason the job was created with.
 */
@Component
class JobRunner implements JobPorts, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
    private static final long QUERY_TIMEOUT_SECONDS = 60;
    private static final String TRANSPORT = "job";

    private final JobTable table;
    private final CommandGateway commands;
    private final QueryGateway queries;
    private final CommandDispatcher dispatcher;
    private final TokenBucket bucket;
    private final JobSettings settings;
    private final Clock clock = Clock.systemUTC();
    /** This process's name in the job table's claims. */
    private final String runnerId = "runner-" + UUID.randomUUID();
    private final AtomicInteger active = new AtomicInteger();
    /** The jobs this process runs now, so that it never runs one twice. */
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final TaskScheduler scheduler;
    private volatile ScheduledFuture<?> poller;
    private volatile ExecutorService workers;

    JobRunner(JobTable table, CommandGateway commands, QueryGateway queries, CommandDispatcher dispatcher,
              TokenBucket bucket, JobSettings settings, TaskScheduler scheduler) {
        this.scheduler = scheduler;
        this.table = table;
        this.commands = commands;
        this.queries = queries;
        this.dispatcher = dispatcher;
        this.bucket = bucket;
        this.settings = settings;
    }

    /**
     * Starts polling, on the platform's task scheduler, one poll interval after the application started, so the read
     * side has begun to catch up. Jobs run on threads of their own ({@code job-runner-N}), not the scheduler's.
     */
    @Override
    public synchronized void start() {
        if (poller != null) {
            return;
        }
        ThreadFactory threads = DaemonThreads.named("job-runner-");
        workers = Executors.newFixedThreadPool(settings.maxConcurrentJobs(), threads);
        poller = scheduler.scheduleWithFixedDelay(this::poll,
                scheduler.getClock().instant().plus(settings.pollInterval()), settings.pollInterval());
    }

    /** Stops polling, interrupts running jobs and gives up their claims, so that a restart resumes them at once. */
    @Override
    public synchronized void stop() {
        if (poller == null) {
            return;
        }
        poller.cancel(true);
        workers.shutdownNow();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("job runners did not stop within 10 s; their jobs resume once their claims lapse");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Jobs that ended gave up their claims themselves; only a run still going after the wait holds one. Touching
        // the database when there is nothing to give up would, at JVM exit, wait on a pool whose database may be gone.
        for (String jobId : Set.copyOf(running)) {
            try {
                table.release(jobId, runnerId);
            } catch (RuntimeException e) {
                log.warn("could not give up the claim on job {}; it resumes once the claim lapses", jobId, e);
            }
        }
        poller = null;
        workers = null;
    }

    @Override
    public boolean isRunning() {
        return poller != null;
    }

    private void poll() {
        try {
            int free = settings.maxConcurrentJobs() - active.get();
            if (free <= 0) {
                return;
            }
            Instant now = clock.instant();
            for (JobRow job : table.claimDue(runnerId, now, now.plus(settings.claimDuration()), free)) {
                if (!running.add(job.jobId())) {
                    // Its claim lapsed while this process still runs it (a long wait): it stays with that run.
                    continue;
                }
                active.incrementAndGet();
                try {
                    workers.execute(() -> run(job));
                } catch (RejectedExecutionException e) {
                    active.decrementAndGet();
                    running.remove(job.jobId());
                    table.release(job.jobId(), runnerId);
                }
            }
        } catch (RuntimeException e) {
            log.warn("looking for due jobs failed; looking again in {}", settings.pollInterval(), e);
        }
    }

    private void run(JobRow job) {
        boolean release = true;
        try {
            new JobExecution(job, this, bucket).run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // Kept claimed until the claim lapses: the job is resumed then, not retried in a tight loop.
            release = false;
            log.warn("job {} stopped on an unexpected failure; it resumes from its last finished page in {}",
                    job.jobId(), settings.claimDuration(), e);
        } finally {
            active.decrementAndGet();
            running.remove(job.jobId());
            if (release) {
                try {
                    table.release(job.jobId(), runnerId);
                } catch (RuntimeException e) {
                    log.warn("could not give up the claim on job {}; it lapses in {}", job.jobId(),
                            settings.claimDuration(), e);
                }
            }
        }
    }

    @Override
    public Instant now() {
        return clock.instant();
    }

    @Override
    public TwinQueryPage query(String query, String continuationToken) throws InterruptedException {
        try {
            return queries.query(new RunTwinQuery(query, FleetSelection.PAGE_SIZE, continuationToken),
                    ResponseTypes.instanceOf(TwinQueryPage.class)).get(QUERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            TwinException refusal = refusal(e);
            if (refusal != null) {
                throw refusal;
            }
            if (e.getCause() instanceof NoHandlerForQueryException) {
                throw new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE, "noReadSide", "no read side answers"
                        + " fleet queries in this deployment (twin.query.enabled)"));
            }
            throw new IllegalStateException("the fleet query failed: " + query, e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the fleet query did not answer within " + QUERY_TIMEOUT_SECONDS + " s: "
                    + query, e);
        }
    }

    @Override
    public void patch(JobRow job, String twinId) {
        try {
            dispatcher.send(new PatchTwin(twinId, job.tags(), job.desired(), null), audit(job));
        } catch (RuntimeException e) {
            TwinException refusal = refusal(e);
            throw refusal != null ? refusal : e;
        }
    }

    @Override
    public void start(JobRow job, int deviceCount) {
        send(new StartJob(job.jobId(), deviceCount), job);
    }

    @Override
    public void complete(JobRow job, int succeeded, int failed) {
        send(new CompleteJob(job.jobId(), succeeded, failed), job);
    }

    @Override
    public void fail(JobRow job, String reason, int succeeded, int failed) {
        send(new FailJob(job.jobId(), reason, succeeded, failed), job);
    }

    @Override
    public String checkpoint(JobRow job, int succeeded, int failed, String statusMessage, String resumeToken) {
        return table.checkpoint(job.jobId(), runnerId, clock.instant().plus(settings.claimDuration()), succeeded,
                failed, statusMessage, resumeToken);
    }

    private void send(Object command, JobRow job) {
        try {
            commands.sendAndWait(GenericCommandMessage.asCommandMessage(command).andMetaData(audit(job).toMap()));
        } catch (RuntimeException e) {
            TwinException refusal = refusal(e);
            throw refusal != null ? refusal : e;
        }
    }

    private static AuditMetadata audit(JobRow job) {
        return new AuditMetadata("job:" + job.jobId(), Channel.JOB, TRANSPORT, job.jobId(), job.reason());
    }

    /** A refusal may arrive wrapped (command bus, query bus, futures): look through the causes. */
    private static TwinException refusal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TwinException twin) {
                return twin;
            }
        }
        return null;
    }
}
