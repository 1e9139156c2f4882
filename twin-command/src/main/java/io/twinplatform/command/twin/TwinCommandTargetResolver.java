package io.twinplatform.command.twin;

import io.twinplatform.api.twin.TwinCommands;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.modelling.command.AnnotationCommandTargetResolver;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.axonframework.modelling.command.VersionedAggregateIdentifier;

/**
 * Finds the aggregate a command is for. A twin command names its twin through {@link TwinCommands#twinId()}, which
 * is read directly; Axon's {@link AnnotationCommandTargetResolver} would walk the command's methods and fields for
 * {@code @TargetAggregateIdentifier} on every command, which showed in profiles of the device and command paths.
 * Every other command (configurations, rollouts, jobs) goes to that annotation resolver: they are few. Twin commands
 * carry no {@code @TargetAggregateVersion}, so the version is always {@code null}, as the annotation resolver would
 * answer. Axon uses the one {@code CommandTargetResolver} bean for every aggregate.
 */
public final class TwinCommandTargetResolver implements CommandTargetResolver {

    private final CommandTargetResolver others = AnnotationCommandTargetResolver.builder().build();

    @Override
    public VersionedAggregateIdentifier resolveTarget(CommandMessage<?> command) {
        if (command.getPayload() instanceof TwinCommands twin) {
            String twinId = twin.twinId();
            if (twinId == null) {
                throw new IllegalArgumentException("Invalid command. " + command.getPayloadType().getSimpleName()
                        + " names no twin");
            }
            return new VersionedAggregateIdentifier(twinId, null);
        }
        return others.resolveTarget(command);
    }
}
