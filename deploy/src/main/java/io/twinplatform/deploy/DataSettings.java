package io.twinplatform.deploy;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;

/**
 * Where the platform keeps its own files ({@code twin.data-dir}; application.yml reads the environment's
 * {@code TWIN_DATA_DIR} into it): the embedded PostgreSQL's data and password, the embedded broker's device secret and
 * TLS files, the bootstrap admin key.
 *
 * @param dataDir the directory, relative to the working directory unless absolute; made when missing
 */
@ConfigurationProperties("twin")
public record DataSettings(@DefaultValue("./data") String dataDir) {

    /** The directory as a path. */
    public Path path() {
        return Path.of(dataDir);
    }
}
