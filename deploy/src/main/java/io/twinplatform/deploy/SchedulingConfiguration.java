package io.twinplatform.deploy;

import org.springframework.boot.task.ThreadPoolTaskSchedulerBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * The platform's one {@link org.springframework.scheduling.TaskScheduler}, on which every periodic job runs: the
 * retention of the history and telemetry tables, the rollout monitor, the job poller and the replay progress log. Its
 * threads are daemons named {@code spring.task.scheduling.thread-name-prefix} ({@code twin-scheduler-}), and there
 * are {@code spring.task.scheduling.pool.size} of them (4, in {@code application.yml}; Spring Boot's default of one
 * would let a long retention run hold up the rollout monitor). Once the application context starts closing it starts
 * no more runs (one under way goes on); when it is destroyed, after the beans whose jobs it runs, it interrupts what
 * still runs.
 */
@Configuration(proxyBeanMethods = false)
class SchedulingConfiguration {

    @Bean
    ThreadPoolTaskScheduler taskScheduler(ThreadPoolTaskSchedulerBuilder builder) {
        ThreadPoolTaskScheduler scheduler = builder.build();
        scheduler.setDaemon(true);
        return scheduler;
    }
}
