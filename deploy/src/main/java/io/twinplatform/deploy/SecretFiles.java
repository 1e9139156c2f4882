package io.twinplatform.deploy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * Secrets the platform keeps under {@code TWIN_DATA_DIR} (the embedded PostgreSQL's password, the MQTT device
 * secret, the MQTT broker's TLS keys): each in a file only its owner can read or write (mode 0600), in directories
 * only the owner can enter (0700). A secret file is written whole under a temporary name and then renamed, so a
 * crash leaves either no file or the complete one, never a half-written secret. A file left by an older version
 * with wider permissions is tightened when it is read. On a file system without POSIX permissions (Windows) the
 * modes are left as they are. Secrets are never logged; only file names are.
 */
public final class SecretFiles {

    private static final Logger log = LoggerFactory.getLogger(SecretFiles.class);
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> READABLE_FILE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretFiles() {
    }

    /** A new random secret: 32 bytes from {@link SecureRandom}, base64url without padding (43 characters). */
    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * The secret kept in {@code file} (its first line, trimmed), tightened to 0600 if it was wider; when there is
     * no such file, a {@link #newSecret() new secret} is written there first.
     */
    public static String readOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            return read(file);
        }
        String secret = newSecret();
        write(file, secret);
        return secret;
    }

    /** The secret kept in {@code file} (its first line, trimmed); tightens the file to 0600 if it was wider. */
    public static String read(Path file) throws IOException {
        restrict(file, OWNER_ONLY_FILE);
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).trim();
    }

    /** Writes {@code secret} (and a newline) to {@code file} with mode 0600, replacing it whole. */
    public static void write(Path file, String secret) throws IOException {
        writeBytes(file, (secret + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code content} to {@code file} with mode 0600, replacing it whole (a key store, for instance). */
    public static void writeBytes(Path file, byte[] content) throws IOException {
        replace(file, content, OWNER_ONLY_FILE);
    }

    /**
     * Writes {@code content} to {@code file} with mode 0644, replacing it whole: a file that is no secret but is
     * handed out whole, such as a CA certificate.
     */
    public static void writePublic(Path file, String content) throws IOException {
        replace(file, content.getBytes(StandardCharsets.UTF_8), READABLE_FILE);
    }

    private static void replace(Path file, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path directory = file.toAbsolutePath().getParent();
        Files.createDirectories(directory);
        Path temporary = directory.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        if (posix(directory)) {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        } else {
            Files.createFile(temporary);
        }
        Files.write(temporary, content);
        if (!mode.equals(OWNER_ONLY_FILE) && posix(directory)) {
            Files.setPosixFilePermissions(temporary, mode);
        }
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Creates {@code directory} (and its parents) if needed and makes it 0700: the data directory holds the event
     * store and the secrets, and no other local user has any business in it.
     */
    public static Path privateDirectory(Path directory) throws IOException {
        Files.createDirectories(directory);
        restrict(directory, OWNER_ONLY_DIRECTORY);
        return directory;
    }

    private static void restrict(Path path, Set<PosixFilePermission> wanted) throws IOException {
        if (!posix(path)) {
            return;
        }
        Set<PosixFilePermission> current = Files.getPosixFilePermissions(path);
        if (!current.equals(wanted)) {
            Files.setPosixFilePermissions(path, wanted);
            log.info("{} was {}; now {}", path, PosixFilePermissions.toString(current),
                    PosixFilePermissions.toString(wanted));
        }
    }

    private static boolean posix(Path path) throws IOException {
        Path existing = path.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing != null && Files.getFileStore(existing).supportsFileAttributeView("posix");
    }
}
