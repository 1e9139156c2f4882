package io.twinplatform.command;

import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.DeleteTwin;
import io.twinplatform.api.twin.PatchTwin;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.messaging.GenericMessage;
import org.axonframework.messaging.MetaData;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TwinCommandConfigurationTest {

    @Test
    void copiesAuditMetadataFromTheCommandAndNamesTheCommandAsCause() {
        CommandMessage<?> command = GenericCommandMessage.asCommandMessage(new DeleteTwin("dev-1", null))
                .andMetaData(Map.of(
                        AuditMetadata.PRINCIPAL, "alice",
                        AuditMetadata.CHANNEL, "api",
                        AuditMetadata.TRANSPORT, "https",
                        AuditMetadata.REASON, "decommissioned",
                        AuditMetadata.CORRELATION_ID, "corr-42"));

        Map<String, ?> data = TwinCommandConfiguration.auditCorrelation(command);

        assertThat(data).isEqualTo(Map.of(
                AuditMetadata.PRINCIPAL, "alice",
                AuditMetadata.CHANNEL, "api",
                AuditMetadata.TRANSPORT, "https",
                AuditMetadata.REASON, "decommissioned",
                AuditMetadata.CORRELATION_ID, "corr-42",
                AuditMetadata.CAUSATION_ID, command.getIdentifier()));
    }

    @Test
    void usesTheCommandIdentifierAsCorrelationIdWhenTheCommandHasNone() {
        CommandMessage<?> command = GenericCommandMessage.asCommandMessage(new DeleteTwin("dev-1", null))
                .andMetaData(Map.of(AuditMetadata.PRINCIPAL, "device:dev-1", AuditMetadata.CHANNEL, "device"));

        Map<String, ?> data = TwinCommandConfiguration.auditCorrelation(command);

        assertThat(data).isEqualTo(Map.of(
                AuditMetadata.PRINCIPAL, "device:dev-1",
                AuditMetadata.CHANNEL, "device",
                AuditMetadata.CORRELATION_ID, command.getIdentifier(),
                AuditMetadata.CAUSATION_ID, command.getIdentifier()));
    }

    @Test
    void leavesOutAuditKeysTheCommandDoesNotCarryAndIgnoresOtherMetadata() {
        CommandMessage<?> command = GenericCommandMessage.asCommandMessage(new DeleteTwin("dev-1", null))
                .andMetaData(Map.of("traceparent", "00-abc-def-01", "secret", "s3cr3t"));

        Map<String, ?> data = TwinCommandConfiguration.auditCorrelation(command);

        assertThat(data).containsOnlyKeys(AuditMetadata.CORRELATION_ID, AuditMetadata.CAUSATION_ID);
    }

    @Test
    void copiesTheMetadataThatAuditMetadataPutsOnACommand() {
        AuditMetadata audit = new AuditMetadata("bob", Channel.ROLLOUT, "kafka", "rollout-7", null);
        CommandMessage<?> command = GenericCommandMessage.asCommandMessage(new PatchTwin("dev-1", null, null, null))
                .andMetaData(audit.toMap());

        Map<String, ?> data = TwinCommandConfiguration.auditCorrelation(command);

        assertThat(data).isEqualTo(Map.of(
                AuditMetadata.PRINCIPAL, "bob",
                AuditMetadata.CHANNEL, "rollout",
                AuditMetadata.TRANSPORT, "kafka",
                AuditMetadata.CORRELATION_ID, "rollout-7",
                AuditMetadata.CAUSATION_ID, command.getIdentifier()));
    }

    @Test
    void anEventBeingHandledGivesOnlyItselfAsCauseAndItsMetadataIsNeverRead() {
        EventMessage<?> event = new GenericEventMessage<>(new GenericMessage<>("payload") {
            @Override
            public MetaData getMetaData() {
                throw new AssertionError("a processor's correlation must not deserialize the event's metadata");
            }
        }, Instant::now);

        Map<String, ?> data = TwinCommandConfiguration.auditCorrelation(event);

        assertThat(data).isEqualTo(Map.of(AuditMetadata.CAUSATION_ID, event.getIdentifier()));
    }

    @Test
    void theRegisteredProviderIsTheAuditCorrelation() {
        CommandMessage<?> command = GenericCommandMessage.asCommandMessage(new DeleteTwin("dev-1", null))
                .andMetaData(Map.of(AuditMetadata.PRINCIPAL, "alice", AuditMetadata.CORRELATION_ID, "c-1"));

        Map<String, ?> data = new TwinCommandConfiguration().auditCorrelationDataProvider().correlationDataFor(command);

        assertThat(data).isEqualTo(TwinCommandConfiguration.auditCorrelation(command));
    }
}
