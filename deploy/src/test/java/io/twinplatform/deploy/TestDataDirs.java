package io.twinplatform.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Data directories (the embedded PostgreSQL's files) for platforms started by tests: fresh ones under
 * {@code target/} when run by Maven, else under the system temp directory. Directories left by earlier runs are
 * removed once no PostgreSQL runs in them and they are over an hour old.
 */
public final class TestDataDirs {

    private static final String PREFIX = "twin-data-";
    private static final Duration STALE = Duration.ofHours(1);

    private TestDataDirs() {
    }

    public static Path fresh() {
        try {
            Path target = Path.of("target");
            Path parent = Files.isDirectory(target) ? target.toAbsolutePath()
                    : Path.of(System.getProperty("java.io.tmpdir"));
            removeStale(parent);
            return Files.createTempDirectory(parent, PREFIX);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a data directory whose platform has stopped; a failure to delete is left for the next run. */
    public static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // left for the next run's clean-up
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // left for the next run's clean-up
        }
    }

    private static void removeStale(Path parent) throws IOException {
        FileTime cutoff = FileTime.from(Instant.now().minus(STALE));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path dir : dirs) {
                boolean running = Files.exists(dir.resolve("postgres").resolve("postmaster.pid"));
                if (!running && Files.getLastModifiedTime(dir).compareTo(cutoff) < 0) {
                    delete(dir);
                }
            }
        }
    }
}
