package io.twinplatform.command.twin;

import io.twinplatform.api.configuration.DeleteConfiguration;
import io.twinplatform.api.twin.DeleteTwin;
import io.twinplatform.api.twin.TwinCommands;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.modelling.command.AnnotationCommandTargetResolver;
import org.axonframework.modelling.command.CommandTargetResolver;
import org.axonframework.modelling.command.VersionedAggregateIdentifier;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TwinCommandTargetResolverTest {

    private final CommandTargetResolver resolver = new TwinCommandTargetResolver();
    private final CommandTargetResolver annotations = AnnotationCommandTargetResolver.builder().build();

    @Test
    void resolvesEveryTwinCommandToTheTwinItsAnnotationNames() throws Exception {
        Class<?>[] kinds = TwinCommands.class.getPermittedSubclasses();
        assertThat(kinds).isNotEmpty();
        for (Class<?> kind : kinds) {
            CommandMessage<?> command = GenericCommandMessage.asCommandMessage(withTwinId(kind, "dev-7/modules/m1"));

            VersionedAggregateIdentifier target = resolver.resolveTarget(command);

            assertThat(target.getIdentifier()).as(kind.getSimpleName()).isEqualTo("dev-7/modules/m1");
            assertThat(target.getVersion()).as(kind.getSimpleName()).isNull();
            assertThat(target).as(kind.getSimpleName()).isEqualTo(annotations.resolveTarget(command));
        }
    }

    @Test
    void resolvesOtherAggregatesCommandsByTheirAnnotation() {
        CommandMessage<?> command = GenericCommandMessage.asCommandMessage(new DeleteConfiguration("cfg-1", 3L));

        assertThat(resolver.resolveTarget(command)).isEqualTo(annotations.resolveTarget(command));
        assertThat(resolver.resolveTarget(command).getIdentifier())
                .isEqualTo(new DeleteConfiguration("cfg-1", 3L).aggregateId());
    }

    @Test
    void refusesATwinCommandThatNamesNoTwin() {
        CommandMessage<?> command = GenericCommandMessage.asCommandMessage(new DeleteTwin(null, null));

        assertThatThrownBy(() -> resolver.resolveTarget(command))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DeleteTwin");
    }

    /** The command with the given twin id and every other component empty (false, 0, an empty list or null). */
    private static Object withTwinId(Class<?> kind, String twinId) throws Exception {
        RecordComponent[] components = kind.getRecordComponents();
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            Class<?> type = components[i].getType();
            values[i] = components[i].getName().equals("twinId") ? twinId
                    : type == boolean.class ? false
                    : type == int.class ? 0
                    : type == long.class ? 0L
                    : type == double.class ? 0.0
                    : type == List.class ? List.of()
                    : null;
        }
        Constructor<?> canonical = kind.getDeclaredConstructor(
                Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
        return canonical.newInstance(values);
    }
}
