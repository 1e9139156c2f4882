package io.twinplatform.deploy;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;

import java.util.List;

/**
 * The platforms Spring's test context cache holds stop side by side when the test JVM exits, not one after the other.
 * Spring Boot's shutdown hook closes every cached context in turn; a dozen platforms, each with its PostgreSQL and
 * some with an embedded MQTT broker (whose stop alone takes 4 s: HiveMQ's fixed quiet and grace periods), can take
 * longer than the 30 s surefire gives a fork after its last test on a busy machine, and surefire then kills the fork
 * with platforms still running.
 * Each context gets a JVM shutdown hook of its own as well, and the JVM runs its hooks together: the exit takes as
 * long as the slowest platform's stop. Boot's hook still runs; it finds each context closing and waits for it (the
 * second close of a context returns at once). Registered in {@code META-INF/spring.factories}; a platform a test
 * starts itself ({@code SpringApplicationBuilder}, {@link PlatformProcess}) is not affected.
 */
class ParallelContextShutdown implements ContextCustomizerFactory {

    @Override
    public ContextCustomizer createContextCustomizer(Class<?> testClass,
                                                     List<ContextConfigurationAttributes> configAttributes) {
        return OwnShutdownHook.INSTANCE;
    }

    /** One instance, so that it never splits the context cache. */
    private enum OwnShutdownHook implements ContextCustomizer {
        INSTANCE;

        @Override
        public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
            context.registerShutdownHook();
        }
    }
}
