package io.twinplatform.command.dispatch;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.twin.ReportConnection;
import io.twinplatform.api.twin.TwinWriteResult;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.commandhandling.CommandResultMessage;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.messaging.MessageHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.transaction.CannotCreateTransactionException;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The group commit's own rules, with a transaction manager that records what each transaction held: concurrent
 * commands share one transaction, a refused command fails alone, each answer comes after its commit, one twin's
 * commands keep their order, and a failed commit is isolated or reported as the class comment says. (That the
 * aggregate, the event store and PostgreSQL behave in a batch is tested by the deploy module's GroupCommitTest.)
 */
class GroupCommitCommandBusTest {

    /** What happened, in order: "handle:<state>", "commit:[states]", "rollback", "answer:<state>". */
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final Recording transactions = new Recording();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private GroupCommitCommandBus bus;

    @AfterEach
    void close() {
        if (bus != null) {
            bus.close();
        }
    }

    private void start(int workers, MessageHandler<? super CommandMessage<?>> handler) {
        bus = new GroupCommitCommandBus(transactions, () -> null, workers, 64, 1000, meters);
        bus.subscribe(ReportConnection.class.getName(), handler);
    }

    /** The handler every test uses unless it needs another: records the command, answers its state. */
    private Object record(CommandMessage<?> message) {
        ReportConnection command = (ReportConnection) message.getPayload();
        log.add("handle:" + command.connectionState());
        transactions.current().add(command.connectionState());
        return command.connectionState();
    }

    private CompletableFuture<CommandResultMessage<?>> send(String twinId, String state) {
        CompletableFuture<CommandResultMessage<?>> answer = new CompletableFuture<>();
        bus.dispatch(GenericCommandMessage.asCommandMessage(new ReportConnection(twinId, state)),
                (command, result) -> {
                    log.add("answer:" + state);
                    answer.complete(result);
                });
        return answer;
    }

    private final CountDownLatch running = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    /** One lane, whose "blocker" command holds it until {@link #release} is counted down; the rest go to {@code then}. */
    private void startOneBlockableLane(MessageHandler<? super CommandMessage<?>> then) {
        start(1, message -> {
            if (((ReportConnection) message.getPayload()).connectionState().equals("blocker")) {
                running.countDown();
                release.await();
            }
            return then.handle(message);
        });
    }

    /** Occupies the lane with the blocker, so that what is sent next queues up behind it and forms one batch. */
    private CompletableFuture<CommandResultMessage<?>> blockTheLane() throws InterruptedException {
        CompletableFuture<CommandResultMessage<?>> blocker = send("twin-0", "blocker");
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        return blocker;
    }

    @Test
    void concurrentCommandsShareOneTransactionAndAreAnsweredAfterItsCommit() throws Exception {
        startOneBlockableLane(this::record);
        CompletableFuture<CommandResultMessage<?>> blocker = blockTheLane();
        List<CompletableFuture<CommandResultMessage<?>>> answers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            answers.add(send("twin-" + (i % 3), "s" + i));
        }
        release.countDown();
        assertThat(blocker.get(5, TimeUnit.SECONDS).isExceptional()).isFalse();
        for (int i = 0; i < 10; i++) {
            CommandResultMessage<?> result = answers.get(i).get(5, TimeUnit.SECONDS);
            assertThat(result.isExceptional()).isFalse();
            assertThat(result.getPayload()).isEqualTo("s" + i);
        }
        assertThat(transactions.committed).containsExactly(List.of("blocker"),
                List.of("s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"));
        // every answer of the second batch comes after its commit, none before
        int commit = log.indexOf("commit:[s0, s1, s2, s3, s4, s5, s6, s7, s8, s9]");
        assertThat(commit).isPositive();
        for (int i = 0; i < 10; i++) {
            assertThat(log.indexOf("answer:s" + i)).isGreaterThan(commit);
        }
        assertThat(meters.summary("twin.command.group.size").count()).isEqualTo(2);
        assertThat(meters.summary("twin.command.group.size").max()).isEqualTo(10);
    }

    @Test
    void aRefusedCommandFailsAloneAndTheRestCommitWithoutIt() throws Exception {
        startOneBlockableLane(message -> {
            if (((ReportConnection) message.getPayload()).connectionState().equals("refused")) {
                log.add("handle:refused");
                throw new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "versionMismatch", "stale"));
            }
            return record(message);
        });
        blockTheLane();
        CompletableFuture<CommandResultMessage<?>> a = send("twin-1", "a");
        CompletableFuture<CommandResultMessage<?>> refused = send("twin-1", "refused");
        CompletableFuture<CommandResultMessage<?>> b = send("twin-1", "b");
        release.countDown();

        assertThat(a.get(5, TimeUnit.SECONDS).getPayload()).isEqualTo("a");
        assertThat(b.get(5, TimeUnit.SECONDS).getPayload()).isEqualTo("b");
        CommandResultMessage<?> failure = refused.get(5, TimeUnit.SECONDS);
        assertThat(failure.isExceptional()).isTrue();
        assertThat(failure.exceptionResult()).isInstanceOf(TwinException.class);
        // the first try held a and the refused one and was rolled back; the second committed a and b alone
        assertThat(transactions.rolledBack).containsExactly(List.of("a"));
        assertThat(transactions.committed).containsExactly(List.of("blocker"), List.of("a", "b"));
        assertThat(meters.counter("twin.command.group.reruns").count()).isEqualTo(1);
    }

    @Test
    void oneTwinsCommandsKeepTheirOrderAcrossLanes() throws Exception {
        start(4, this::record);
        List<CompletableFuture<CommandResultMessage<?>>> answers = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            answers.add(send("twin-" + (i % 7), (i % 7) + ":" + i));
        }
        for (CompletableFuture<CommandResultMessage<?>> answer : answers) {
            assertThat(answer.get(10, TimeUnit.SECONDS).isExceptional()).isFalse();
        }
        List<String> handled;
        synchronized (log) {
            handled = log.stream().filter(e -> e.startsWith("handle:")).map(e -> e.substring(7)).toList();
        }
        for (int twin = 0; twin < 7; twin++) {
            String prefix = twin + ":";
            List<Integer> order = handled.stream().filter(s -> s.startsWith(prefix))
                    .map(s -> Integer.parseInt(s.substring(prefix.length()))).toList();
            assertThat(order).as("twin %d", twin).hasSize((400 - twin + 6) / 7).isSorted();
        }
    }

    @Test
    void aCommitThatFailsOnTheDataRetriesEachCommandAloneSoOnlyTheCulpritFails() throws Exception {
        startOneBlockableLane(this::record);
        // PostgreSQL refuses what "poison" wrote, when it is committed (a deferred constraint, a value it cannot hold)
        transactions.failCommitWhen = held -> held.contains("poison")
                ? new DataIntegrityViolationException("duplicate key", new SQLException("duplicate key", "23505"))
                : null;
        blockTheLane();
        CompletableFuture<CommandResultMessage<?>> a = send("twin-1", "a");
        CompletableFuture<CommandResultMessage<?>> poison = send("twin-2", "poison");
        CompletableFuture<CommandResultMessage<?>> b = send("twin-3", "b");
        release.countDown();

        assertThat(a.get(5, TimeUnit.SECONDS).isExceptional()).isFalse();
        assertThat(b.get(5, TimeUnit.SECONDS).isExceptional()).isFalse();
        assertThat(poison.get(5, TimeUnit.SECONDS).exceptionResult())
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThat(transactions.committed).containsExactly(List.of("blocker"), List.of("a"), List.of("b"));
        assertThat(transactions.rolledBack).containsExactly(List.of("a", "poison", "b"), List.of("poison"));
    }

    @Test
    void aDatabaseOutageFailsTheBatchOnceWithoutTryingEachCommandAgain() throws Exception {
        startOneBlockableLane(this::record);
        blockTheLane();
        transactions.failStart = true;
        List<CompletableFuture<CommandResultMessage<?>>> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(send("twin-" + i, "s" + i));
        }
        release.countDown();
        for (CompletableFuture<CommandResultMessage<?>> answer : answers) {
            assertThat(answer.get(5, TimeUnit.SECONDS).exceptionResult())
                    .isInstanceOf(CannotCreateTransactionException.class);
        }
        // one try for the five (after the blocker's own transaction), none of them handled
        assertThat(transactions.started).isEqualTo(2);
        assertThat(log).noneMatch(e -> e.startsWith("handle:s"));
    }

    @Test
    void aCommandDispatchedAfterCloseFailsAtOnce() throws Exception {
        start(2, this::record);
        bus.close();
        CommandResultMessage<?> result = send("twin-1", "late").get(5, TimeUnit.SECONDS);
        assertThat(result.isExceptional()).isTrue();
        assertThat(transactions.started).isZero();
    }

    @Test
    void everyCommandIsTimedByTypeAndOutcome() throws Exception {
        start(1, message -> switch (((ReportConnection) message.getPayload()).connectionState()) {
            case "same" -> new TwinWriteResult(null, 3, false, false);
            case "stale" -> throw new TwinException(TwinError.of(ErrorKind.PRECONDITION_FAILED, "versionMismatch",
                    "stale"));
            case "broken" -> throw new IllegalStateException("a bug");
            default -> record(message);
        });
        for (String state : List.of("a", "b", "same", "stale", "broken")) {
            send("twin-1", state).get(5, TimeUnit.SECONDS);
        }
        // a command that is not a twin's runs on the caller's thread, and is timed the same way
        bus.subscribe(String.class.getName(), message -> "done");
        CompletableFuture<CommandResultMessage<?>> other = new CompletableFuture<>();
        bus.dispatch(GenericCommandMessage.asCommandMessage("not a twin command"), (command, result) ->
                other.complete(result));
        assertThat(other.get(5, TimeUnit.SECONDS).getPayload()).isEqualTo("done");

        assertThat(commands("ReportConnection", "applied")).isEqualTo(2);
        assertThat(commands("ReportConnection", "noop")).isEqualTo(1);
        assertThat(commands("ReportConnection", "refused")).isEqualTo(1);
        assertThat(commands("ReportConnection", "failed")).isEqualTo(1);
        assertThat(commands("String", "applied")).isEqualTo(1);
        // its buckets show in the Prometheus output (deploy's MetricsTest): a simple registry keeps none
    }

    private long commands(String type, String outcome) {
        return meters.get(GroupCommitCommandBus.COMMANDS).tags("type", type, "outcome", outcome).timer().count();
    }

    /** A transaction manager that records which commands each transaction held and how it ended. */
    private final class Recording implements TransactionManager {

        final List<List<String>> committed = Collections.synchronizedList(new ArrayList<>());
        final List<List<String>> rolledBack = Collections.synchronizedList(new ArrayList<>());
        volatile java.util.function.Function<List<String>, RuntimeException> failCommitWhen = held -> null;
        volatile boolean failStart;
        volatile int started;
        private final ThreadLocal<List<String>> current = new ThreadLocal<>();

        List<String> current() {
            return current.get();
        }

        @Override
        public Transaction startTransaction() {
            started++;
            if (failStart) {
                throw new CannotCreateTransactionException("the database is away");
            }
            List<String> held = new ArrayList<>();
            current.set(held);
            return new Transaction() {
                @Override
                public void commit() {
                    RuntimeException failure = failCommitWhen.apply(held);
                    if (failure != null) {
                        throw failure;
                    }
                    committed.add(List.copyOf(held));
                    log.add("commit:" + held);
                }

                @Override
                public void rollback() {
                    rolledBack.add(List.copyOf(held));
                    log.add("rollback");
                }
            };
        }
    }
}
