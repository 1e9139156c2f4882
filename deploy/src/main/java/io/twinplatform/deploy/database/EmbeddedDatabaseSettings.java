package io.twinplatform.deploy.database;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The embedded PostgreSQL's settings ({@code twin.embedded.*}), used only when no {@code spring.datasource.url} is
 * configured.
 *
 * @param sharedBuffers  its {@code shared_buffers}: PostgreSQL's default (128MB) cannot hold the twin documents of a
 *                       100k fleet, and fleet queries that scan them then read every page through the operating system
 * @param startupTimeout how long its first start (unpacking the binaries, {@code initdb}) may take
 */
@ConfigurationProperties("twin.embedded")
record EmbeddedDatabaseSettings(@DefaultValue("512MB") String sharedBuffers,
                                @DefaultValue("5m") Duration startupTimeout) {
}
