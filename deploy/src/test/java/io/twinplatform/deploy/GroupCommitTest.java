package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.PatchReportedProperties;
import io.twinplatform.api.twin.PatchTwin;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinWriteResult;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Group commit with the real twin, event store and PostgreSQL: a burst of commands to one twin is decided in
 * batches (a later command sees the earlier ones of its batch: their version, their idempotency keys), each answer
 * is its own, a refused command fails alone, and the stored events are exactly the answered ones, in order.
 */
class GroupCommitTest extends PlatformTestSupport {

    private static final int BURST = 60;

    @Autowired
    CommandGateway commands;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    MeterRegistry meters;

    private CompletableFuture<TwinWriteResult> send(TwinCommands command) {
        return commands.send(GenericCommandMessage.asCommandMessage(command)
                .andMetaData(new AuditMetadata("group-commit-test", Channel.API, "test", "group-commit-test", null).toMap()));
    }

    private static ObjectNode reported(int n) {
        return JsonNodeFactory.instance.objectNode().put("n", n);
    }

    @Test
    void aBurstToOneTwinIsBatchedInOrderWithEachAnswerItsOwn() throws Exception {
        String id = createDevice("{}");
        long batchesBefore = (long) meters.summary("twin.command.group.size").count();

        List<CompletableFuture<TwinWriteResult>> answers = new ArrayList<>();
        CompletableFuture<TwinWriteResult> repeat = null;
        CompletableFuture<TwinWriteResult> stale = null;
        for (int n = 1; n <= BURST; n++) {
            answers.add(send(new PatchReportedProperties(id, reported(n), "token-" + n)));
            if (n == 20) {
                // a retry of report 10 in the middle of the burst: seen by the twin, a no-op
                repeat = send(new PatchReportedProperties(id, reported(10), "token-10"));
                // a write that expects the version the twin had before the burst: refused, alone
                stale = send(new PatchTwin(id, null, JsonNodeFactory.instance.objectNode().put("x", 1), 1L));
            }
        }

        long previous = 1;
        for (int n = 1; n <= BURST; n++) {
            TwinWriteResult result = answers.get(n - 1).get(30, TimeUnit.SECONDS);
            assertThat(result.changed()).as("report %d", n).isTrue();
            assertThat(result.version()).as("report %d follows the one before", n).isEqualTo(previous + 1);
            previous = result.version();
        }
        TwinWriteResult repeated = repeat.get(30, TimeUnit.SECONDS);
        assertThat(repeated.changed()).isFalse();
        assertThat(repeated.version()).isEqualTo(answers.get(19).get().version());
        CompletableFuture<TwinWriteResult> refused = stale;
        Throwable refusal = catchThrowable(() -> refused.get(30, TimeUnit.SECONDS));
        assertThat(refusal).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TwinException.class);
        assertThat(((TwinException) refusal.getCause()).error().kind().status()).isEqualTo(412);

        // the store holds exactly the answered events, in the order they were sent
        List<String> payloads = jdbc.queryForList("SELECT convert_from(payload, 'UTF8') FROM domain_event_entry"
                + " WHERE aggregate_identifier = ? ORDER BY sequence_number", String.class, id);
        assertThat(payloads).hasSize(BURST + 1);
        for (int n = 1; n <= BURST; n++) {
            assertThat(payloads.get(n)).contains("\"n\":" + n + "}");
        }
        JsonNode twin = http.awaitJson("/twins/" + id, t -> t.get("version").asLong() == BURST + 1,
                Duration.ofSeconds(10));
        assertThat(twin.path("properties").path("reported").path("n").asInt()).isEqualTo(BURST);
        assertThat(twin.path("properties").path("desired").has("x")).isFalse();

        // batched indeed: this burst's 62 commands (61 committed, the refused one rerun without) took fewer
        // transactions than commands; one each would be at least 61
        long batches = (long) meters.summary("twin.command.group.size").count() - batchesBefore;
        assertThat(batches).isLessThan(BURST);
    }
}
