package io.twinplatform.command.dispatch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.DaemonThreads;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinWriteResult;
import io.twinplatform.command.dispatch.RequestContextCarrier;
import org.axonframework.commandhandling.CommandBus;
import org.axonframework.commandhandling.CommandCallback;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.commandhandling.NoHandlerForCommandException;
import org.axonframework.commandhandling.SimpleCommandBus;
import org.axonframework.commandhandling.callbacks.LoggingCallback;
import org.axonframework.common.Registration;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.messaging.DefaultInterceptorChain;
import org.axonframework.messaging.MessageDispatchInterceptor;
import org.axonframework.messaging.MessageHandler;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.BatchingUnitOfWork;
import org.axonframework.messaging.unitofwork.RollbackConfigurationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static org.axonframework.commandhandling.GenericCommandResultMessage.asCommandResultMessage;

/**
 * Group commit for twin commands: the commands that arrive while a transaction is being written are decided
 * together and appended in one transaction (one fsync), instead of one transaction each.
 * <p>
 * Twin commands ({@link TwinCommands}) go to one of {@code workers} lanes by their twin id, so one twin's commands
 * are always decided by one thread in the order they were dispatched, and no two lanes ever wait for each other's
 * twin. A lane takes what is queued (up to {@code maxBatch}) and runs it in one {@link BatchingUnitOfWork}: a later
 * command of a twin sees the earlier ones of the same batch (its version, its idempotency keys), and every caller is
 * answered only after the batch committed.
 * <p>
 * A command that is refused (or fails in its handler) fails alone: the batch is rolled back at once, that command
 * answered with its failure, and the rest run again without it, so a committed batch holds only commands that
 * succeeded. When the commit itself fails, a failure that depends on the data or on a race with another writer
 * (another instance appended to the same twin) sends each command again in a transaction of its own, so only the
 * command at fault fails; a failure of the database itself (it is away, or too slow) fails the whole batch, as it
 * would have failed each command alone.
 * <p>
 * Other commands (configurations, rollouts, jobs) are handled on the caller's thread, as Axon's
 * {@link SimpleCommandBus} does, and so is a twin command dispatched from a lane's own thread.
 * <p>
 * Every command, of either kind, is timed here from its dispatch to its answer ({@value #COMMANDS}, tagged with the
 * command's type and its {@link Outcome}): the one place all of them pass.
 */
public final class GroupCommitCommandBus implements CommandBus, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GroupCommitCommandBus.class);
    /** The timer of every command: {@code type} (its class's simple name) and {@code outcome}. */
    public static final String COMMANDS = "twin.commands";

    /** How a command ended, as {@value #COMMANDS} tags it. */
    enum Outcome {
        /** Done, and (for a twin command) it changed the twin. */
        applied,
        /** A twin command that changed nothing: a patch to the same values, a redelivery, a repeated key. */
        noop,
        /** Refused with a typed error ({@link TwinException}): a stale etag, a twin not found, a bad patch. */
        refused,
        /** Anything else: the database, a lost race, a bug. */
        failed
    }

    private final SimpleCommandBus direct;
    private final TransactionManager transactions;
    private final Supplier<RequestContextCarrier> carrier;
    private final Map<String, MessageHandler<? super CommandMessage<?>>> handlers = new ConcurrentHashMap<>();
    private final List<MessageHandlerInterceptor<? super CommandMessage<?>>> handlerInterceptors =
            new CopyOnWriteArrayList<>();
    private final List<MessageDispatchInterceptor<? super CommandMessage<?>>> dispatchInterceptors =
            new CopyOnWriteArrayList<>();
    private final Lane[] lanes;
    private volatile Consumer<List<CommandMessage<?>>> preparation = commands -> {
    };
    private final int maxBatch;
    private final DistributionSummary committedSizes;
    private final Counter reruns;
    private final MeterRegistry meters;
    /** The timers by command type, one per {@link Outcome}, each made when first needed. */
    private final Map<Class<?>, Timer[]> timers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param transactions the transaction each batch runs in
     * @param carrier      what carries a dispatching thread's request context (its database timeout) to the lane;
     *                     may supply {@code null}
     * @param workers      lanes, each one thread with its own transaction
     * @param maxBatch     commands in one transaction at most
     * @param queueSize    commands waiting per lane; a dispatch waits while its lane is full
     * @param meters       where {@code twin.command.group.size} (twin commands per committed transaction) and
     *                     {@code twin.command.group.reruns} (batches run again without a failed command, or split
     *                     into single commands) are counted, and every command is timed ({@value #COMMANDS})
     */
    public GroupCommitCommandBus(TransactionManager transactions, Supplier<RequestContextCarrier> carrier,
                                 int workers, int maxBatch, int queueSize, MeterRegistry meters) {
        if (workers < 1 || maxBatch < 1 || queueSize < 1) {
            throw new IllegalArgumentException("workers, max-batch and queue-size must be positive");
        }
        this.transactions = transactions;
        this.carrier = carrier;
        this.maxBatch = maxBatch;
        this.committedSizes = DistributionSummary.builder("twin.command.group.size")
                .description("twin commands committed in one transaction").register(meters);
        this.reruns = Counter.builder("twin.command.group.reruns")
                .description("batches of twin commands run again after one failed").register(meters);
        this.meters = meters;
        this.direct = SimpleCommandBus.builder().transactionManager(transactions).build();
        this.lanes = new Lane[workers];
        ThreadFactory threads = DaemonThreads.named("twin-commands-");
        for (int i = 0; i < workers; i++) {
            lanes[i] = new Lane(threads, queueSize);
            lanes[i].thread.start();
        }
    }

    @Override
    public <C> void dispatch(CommandMessage<C> command) {
        dispatch(command, LoggingCallback.INSTANCE);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <C, R> void dispatch(CommandMessage<C> command,
                                CommandCallback<? super C, ? super R> answer) {
        CommandMessage<C> intercepted = command;
        for (MessageDispatchInterceptor<? super CommandMessage<?>> interceptor : dispatchInterceptors) {
            intercepted = (CommandMessage<C>) interceptor.handle(intercepted);
        }
        Class<?> type = intercepted.getPayloadType();
        Timer[] timed = timers.computeIfAbsent(type, t -> new Timer[Outcome.values().length]);
        long started = System.nanoTime();
        CommandCallback<C, R> callback = (message, result) -> {
            Outcome outcome = outcome(result);
            Timer timer = timed[outcome.ordinal()];
            if (timer == null) {
                // a race makes the same timer twice: the registry answers the one it holds
                timer = timer(type, outcome);
                timed[outcome.ordinal()] = timer;
            }
            timer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            answer.onResult(message, result);
        };
        if (!(intercepted.getPayload() instanceof TwinCommands twinCommand)
                || onLane()) {
            direct.dispatch(intercepted, callback);
            return;
        }
        MessageHandler<? super CommandMessage<?>> handler = handlers.get(intercepted.getCommandName());
        if (handler == null) {
            callback.onResult(intercepted, asCommandResultMessage(new NoHandlerForCommandException(
                    "No handler was subscribed for command [" + intercepted.getCommandName() + "].")));
            return;
        }
        Pending pending = new Pending(intercepted, handler, (CommandCallback<Object, Object>) callback, context());
        Lane lane = lanes[Math.floorMod(twinCommand.twinId().hashCode(), lanes.length)];
        try {
            if (closed) {
                throw new IllegalStateException("the platform is stopping; the command was not taken");
            }
            lane.queue.put(pending);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.fail(e);
        } catch (RuntimeException e) {
            pending.fail(e);
        }
    }

    /**
     * The timer of one command type and outcome. A histogram with buckets, not percentiles: Prometheus adds buckets up
     * across instances and computes quantiles from the sum; a percentile of one instance cannot be added to another's.
     * The bounds keep it to about 60 buckets.
     */
    private Timer timer(Class<?> type, Outcome outcome) {
        return Timer.builder(COMMANDS)
                .description("commands from dispatch to answer, by type and outcome")
                .tag("type", type.getSimpleName())
                .tag("outcome", outcome.name())
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(meters);
    }

    /** A result's {@link Outcome}: a typed error anywhere in the cause chain is a refusal. */
    static Outcome outcome(org.axonframework.commandhandling.CommandResultMessage<?> result) {
        if (!result.isExceptional()) {
            return result.getPayload() instanceof TwinWriteResult write && !write.changed() ? Outcome.noop
                    : Outcome.applied;
        }
        return FailureKinds.chain(result.exceptionResult()).stream().anyMatch(TwinException.class::isInstance)
                ? Outcome.refused : Outcome.failed;
    }

    /** The dispatching thread's request context, or {@code null} when it has none. */
    private Context context() {
        RequestContextCarrier requestContext = carrier.get();
        if (requestContext == null || !requestContext.active()) {
            return null;
        }
        Context context = new Context();
        context.carried = requestContext.carry(context);
        return context;
    }

    /**
     * Runs {@code preparation} with each batch's commands in its unit of work and transaction, before the first
     * command is decided (to read what the whole batch needs in one query). If it fails, the batch fails as a
     * failed commit does.
     */
    public void beforeEachBatch(Consumer<List<CommandMessage<?>>> preparation) {
        this.preparation = preparation;
    }

    @Override
    public Registration subscribe(String commandName,
                                  MessageHandler<? super CommandMessage<?>> handler) {
        handlers.put(commandName, handler);
        Registration registration = direct.subscribe(commandName, handler);
        return () -> {
            handlers.remove(commandName, handler);
            return registration.cancel();
        };
    }

    @Override
    public Registration registerHandlerInterceptor(
            MessageHandlerInterceptor<? super CommandMessage<?>> handlerInterceptor) {
        handlerInterceptors.add(handlerInterceptor);
        Registration registration = direct.registerHandlerInterceptor(handlerInterceptor);
        return () -> {
            handlerInterceptors.remove(handlerInterceptor);
            return registration.cancel();
        };
    }

    @Override
    public Registration registerDispatchInterceptor(
            MessageDispatchInterceptor<? super CommandMessage<?>> dispatchInterceptor) {
        dispatchInterceptors.add(dispatchInterceptor);
        return () -> dispatchInterceptors.remove(dispatchInterceptor);
    }

    /**
     * Takes no more commands, lets each lane finish what it holds (up to 10 s in all), then stops the lanes. A
     * command dispatched afterwards fails at once.
     */
    @Override
    public void close() {
        closed = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Lane lane : lanes) {
            lane.stopping = true;
        }
        for (Lane lane : lanes) {
            try {
                lane.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Lane lane : lanes) {
            lane.thread.interrupt();
            List<Pending> left = new ArrayList<>();
            lane.queue.drainTo(left);
            left.forEach(p -> p.fail(new IllegalStateException("the platform stopped before the command ran")));
        }
    }

    /** Whether the caller is one of the lanes: a command it sends runs at once, in the lane's unit of work. */
    private boolean onLane() {
        Thread current = Thread.currentThread();
        for (Lane lane : lanes) {
            if (lane.thread == current) {
                return true;
            }
        }
        return false;
    }

    /** One lane: a thread of its own and its queue. */
    private final class Lane implements Runnable {

        final BlockingQueue<Pending> queue;
        final Thread thread;
        volatile boolean stopping;

        Lane(ThreadFactory threads, int queueSize) {
            this.queue = new ArrayBlockingQueue<>(queueSize);
            this.thread = threads.newThread(this);
        }

        @Override
        public void run() {
            List<Pending> batch = new ArrayList<>(maxBatch);
            while (!(stopping && queue.isEmpty())) {
                try {
                    Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch, maxBatch - 1);
                    runInContext(batch);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException | Error e) {
                    // a bug of the bus itself: answer whoever is still waiting rather than leave them hanging
                    log.error("group commit lane {} failed", thread.getName(), e);
                    batch.forEach(p -> p.fail(e));
                } finally {
                    batch.clear();
                }
            }
        }
    }

    /** Runs the batch in the request context of its first command that came with one, if any. */
    private void runInContext(List<Pending> batch) {
        for (Pending pending : batch) {
            if (pending.context != null) {
                pending.context.task = () -> process(batch);
                pending.context.carried.run();
                return;
            }
        }
        process(batch);
    }

    /**
     * Runs the commands in one transaction; a command that fails in its handler is answered and left out, and the
     * rest run again; a failed commit is handled as the class comment says.
     */
    private void process(List<Pending> commands) {
        List<Pending> pending = new ArrayList<>(commands);
        while (!pending.isEmpty()) {
            Attempt attempt = attempt(pending);
            if (attempt.committed) {
                committedSizes.record(pending.size());
                for (int i = 0; i < pending.size(); i++) {
                    pending.get(i).succeed(attempt.results[i]);
                }
                return;
            }
            if (attempt.failedIndex >= 0) {
                pending.remove(attempt.failedIndex).fail(attempt.failure);
                if (!pending.isEmpty()) {
                    reruns.increment();
                }
                continue;
            }
            if (pending.size() > 1 && alone(attempt.failure)) {
                reruns.increment();
                for (Pending single : pending) {
                    process(new ArrayList<>(List.of(single)));
                }
            } else {
                pending.forEach(p -> p.fail(attempt.failure));
            }
            return;
        }
    }

    /** Whether each command should be tried alone: the failure may be one command's own, not the database's. */
    private static boolean alone(Throwable failure) {
        return FailureKinds.lostRaceAnywhere(failure) || !FailureKinds.mayPass(failure);
    }

    private Attempt attempt(List<Pending> pending) {
        List<CommandMessage<?>> messages = new ArrayList<>(pending.size());
        pending.forEach(p -> messages.add(p.command));
        BatchingUnitOfWork<CommandMessage<?>> unitOfWork = new BatchingUnitOfWork<>(messages);
        Attempt attempt = new Attempt(pending.size());
        try {
            unitOfWork.start();
            unitOfWork.attachTransaction(transactions);
            try {
                preparation.accept(messages);
            } catch (RuntimeException | Error e) {
                unitOfWork.rollback(e);
                attempt.failure = e;
                return attempt;
            }
            int[] index = {0};
            unitOfWork.executeWithResult(() -> {
                int i = index[0]++;
                try {
                    Object result = new DefaultInterceptorChain<>(unitOfWork, handlerInterceptors,
                            pending.get(i).handler).proceed();
                    attempt.results[i] = result;
                    return result;
                } catch (Exception | Error e) {
                    attempt.failedIndex = i;
                    attempt.failure = e;
                    throw e;
                }
            }, RollbackConfigurationType.ANY_THROWABLE);
        } catch (RuntimeException | Error e) {
            // the transaction could not be started (attachTransaction rolled the unit of work back)
            attempt.failure = e;
            return attempt;
        }
        if (unitOfWork.isRolledBack()) {
            if (attempt.failure == null) {
                attempt.failure = unitOfWork.getExecutionResult().getExceptionResult();
            }
            return attempt;
        }
        attempt.committed = true;
        return attempt;
    }

    private static final class Attempt {
        final Object[] results;
        boolean committed;
        int failedIndex = -1;
        Throwable failure;

        Attempt(int size) {
            results = new Object[size];
        }
    }

    /** A dispatching thread's request context, to run a batch in. */
    private static final class Context implements Runnable {
        Runnable carried;
        Runnable task;

        @Override
        public void run() {
            task.run();
        }
    }

    private record Pending(CommandMessage<?> command, MessageHandler<? super CommandMessage<?>> handler,
                           CommandCallback<Object, Object> callback, Context context) {

        @SuppressWarnings("unchecked")
        void succeed(Object result) {
            answer(asCommandResultMessage(result));
        }

        void fail(Throwable failure) {
            answer(asCommandResultMessage(failure));
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private void answer(org.axonframework.commandhandling.CommandResultMessage<?> result) {
            try {
                callback.onResult((CommandMessage) command, (org.axonframework.commandhandling.CommandResultMessage) result);
            } catch (RuntimeException e) {
                log.warn("a command's callback failed", e);
            }
        }
    }
}
