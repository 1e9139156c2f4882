package io.twinplatform.deploy.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.Scope;
import io.twinplatform.deploy.DataSettings;
import io.twinplatform.deploy.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.crypto.password.Pbkdf2PasswordEncoder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * API keys: made, listed and revoked by admins ({@code /admin/keys}), checked on every request that presents one.
 * <p>
 * A key reads {@code twk_<id>_<secret>}: 12 hex digits that name it (not secret: the principal of its events shows
 * them) and 64 hex digits (256 random bits) that prove it. Only a PBKDF2 hash of the secret is stored (Spring
 * Security's encoder, 310,000 iterations of HMAC-SHA-256, a random salt per key), so a copy of the database gives no
 * key away. That hash takes a tenth of a second to check, once per key per process: a key that passed is remembered
 * by the SHA-256 of its secret (kept only in memory), and later requests are compared with that digest in constant
 * time. The key's row (revoked or not) is read again after {@link SecuritySettings#keyCacheTtl()}.
 * <p>
 * On a first start (no key at all) a bootstrap admin key is installed: the configured one
 * ({@code twin.security.admin-key}), else a new one written to {@code <TWIN_DATA_DIR>/admin-key} (mode 0600).
 */
@Component
public class ApiKeys implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
    public static final String PREFIX = "twk_";
    private static final Pattern FORMAT = Pattern.compile("twk_([0-9a-f]{12})_([0-9a-f]{64})");
    static final String BOOTSTRAP_NAME = "bootstrap-admin";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A key's row as {@link #row} reads it. */
    private static final String SELECT = "SELECT id, name, roles, created_at, created_by, revoked_at, secret_hash,"
            + " scope FROM api_key";
    /** Serialises the bootstrap and revocations, so two instances never both install or revoke the last admin key. */
    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('twin.api_key.bootstrap'))";

    /** A stored key, without its secret; {@code scope} is {@code null} for a key that sees the whole fleet. */
    public record Key(String id, String name, Set<Role> roles, Scope scope, Instant createdAt, String createdBy,
                      Instant revokedAt) {

        /** The principal recorded in the events this key causes. */
        public String principal() {
            return "key:" + id + ":" + name;
        }
    }

    /** A key just made: its row, and the whole key, shown this once. */
    public record Created(Key key, String secret) {
    }

    private record Row(Key key, String secretHash) {
    }

    private record Verified(String secretHash, byte[] digest) {
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;
    private final SecuritySettings settings;
    private final Path dataDir;
    private final Clock clock = Clock.systemUTC();
    private final Pbkdf2PasswordEncoder encoder = Pbkdf2PasswordEncoder.defaultsForSpringSecurity_v5_8();
    private final Cache<String, Optional<Row>> rows;
    private final Cache<String, Verified> verified = Caffeine.newBuilder().maximumSize(100_000).build();

    ApiKeys(JdbcTemplate jdbc, TransactionTemplate transactions, SecuritySettings settings, DataSettings data) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.settings = settings;
        this.dataDir = data.path();
        this.rows = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(settings.keyCacheTtl()).build();
    }

    /** Installs the bootstrap admin key when there is no key at all. */
    @Override
    public void afterPropertiesSet() {
        String configured = settings.adminKey();
        if (configured != null && !FORMAT.matcher(configured).matches()) {
            throw new IllegalStateException("twin.security.admin-key must read twk_ and 12 hex digits, _ and 64 hex"
                    + " digits (as POST /admin/keys makes them)");
        }
        String installed = transactions.execute(status -> {
            jdbc.queryForObject(LOCK, Object.class);
            Integer keys = jdbc.queryForObject("SELECT count(*) FROM api_key", Integer.class);
            if (keys != null && keys > 0) {
                return null;
            }
            String secret = configured != null ? configured : newKey();
            insert(id(secret), BOOTSTRAP_NAME, EnumSet.of(Role.admin), null, "platform", secret);
            return secret;
        });
        if (installed == null || configured != null) {
            if (installed != null) {
                log.info("installed the configured admin key (twin.security.admin-key) as {}", BOOTSTRAP_NAME);
            }
            return;
        }
        Path file = dataDir.resolve("admin-key");
        try {
            SecretFiles.privateDirectory(dataDir);
            SecretFiles.write(file, installed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the bootstrap admin key to " + file, e);
        }
        log.info("no API key existed: a bootstrap admin key was made and written to {} (mode 0600); use it as "
                + "'Authorization: Bearer <key>' and make keys of your own with POST /admin/keys", file.toAbsolutePath());
    }

    /**
     * Makes a key; its name must be new (names are never reused, not even a revoked key's). A {@code scope} bounds
     * what it sees and changes; {@code null} for the whole fleet.
     */
    public Created create(String name, Set<Role> roles, Scope scope, String createdBy) {
        String secret = newKey();
        try {
            Key key = insert(id(secret), name, roles, scope, createdBy, secret);
            return new Created(key, secret);
        } catch (DuplicateKeyException e) {
            throw new TwinException(TwinError.at(ErrorKind.CONFLICT, "keyNameTaken", "$.name",
                    "a key named '" + name + "' exists or existed; names are not reused"));
        }
    }

    public List<Key> list() {
        return jdbc.query(SELECT + " ORDER BY created_at, id", (rs, n) -> row(rs).key());
    }

    /**
     * Revokes a key: refused from then on, on this instance at once, on others within the key cache's time. A key
     * already revoked stays so. The last admin key that is not revoked cannot be revoked (no one could make keys).
     *
     * @return false when there is no such key
     */
    public boolean revoke(String id) {
        Boolean found = transactions.execute(status -> {
            jdbc.queryForObject(LOCK, Object.class);
            List<Row> rows = jdbc.query(SELECT + " WHERE id = ? FOR UPDATE", (rs, n) -> row(rs), id);
            if (rows.isEmpty()) {
                return false;
            }
            Key key = rows.get(0).key();
            if (key.revokedAt() != null) {
                return true;
            }
            if (key.roles().contains(Role.admin)) {
                Integer admins = jdbc.queryForObject("SELECT count(*) FROM api_key WHERE revoked_at IS NULL"
                        + " AND 'admin' = ANY (roles)", Integer.class);
                if (admins != null && admins <= 1) {
                    throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "lastAdminKey",
                            "key " + id + " is the last admin key; make another admin key before revoking it"));
                }
            }
            jdbc.update("UPDATE api_key SET revoked_at = ? WHERE id = ?", Timestamp.from(clock.instant()), id);
            return true;
        });
        rows.invalidate(id);
        verified.invalidate(id);
        return Boolean.TRUE.equals(found);
    }

    /** The key's identity, if {@code presented} is a key that exists, is not revoked and whose secret matches. */
    public Optional<TwinIdentity> authenticate(String presented) {
        if (!FORMAT.matcher(presented).matches()) {
            return Optional.empty();
        }
        String id = id(presented);
        Optional<Row> found = rows.get(id, this::load);
        if (found.isEmpty() || found.get().key().revokedAt() != null) {
            return Optional.empty();
        }
        Row row = found.get();
        byte[] digest = sha256(presented);
        Verified known = verified.getIfPresent(id);
        boolean matches;
        if (known != null && known.secretHash().equals(row.secretHash())) {
            matches = MessageDigest.isEqual(known.digest(), digest);
        } else {
            matches = encoder.matches(presented, row.secretHash());
            if (matches) {
                verified.put(id, new Verified(row.secretHash(), digest));
            }
        }
        return matches ? Optional.of(new TwinIdentity(row.key().principal(), row.key().roles(),
                row.key().scope())) : Optional.empty();
    }

    private Optional<Row> load(String id) {
        return jdbc.query(SELECT + " WHERE id = ?", (rs, n) -> row(rs), id).stream().findFirst();
    }

    private Key insert(String id, String name, Set<Role> roles, Scope scope, String createdBy, String secret) {
        Instant now = clock.instant();
        String[] names = roles.stream().map(Role::name).sorted().toArray(String[]::new);
        jdbc.update(connection -> {
            var insert = connection.prepareStatement("INSERT INTO api_key (id, name, roles, secret_hash, created_at,"
                    + " created_by, scope) VALUES (?, ?, ?, ?, ?, ?, ?)");
            insert.setString(1, id);
            insert.setString(2, name);
            insert.setArray(3, connection.createArrayOf("text", names));
            insert.setString(4, encoder.encode(secret));
            insert.setTimestamp(5, Timestamp.from(now));
            insert.setString(6, createdBy);
            insert.setString(7, scope == null ? null : scope.text());
            return insert;
        });
        return new Key(id, name, Set.copyOf(roles), scope, now, createdBy, null);
    }

    private static Row row(ResultSet rs) throws SQLException {
        Array array = rs.getArray(3);
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        for (Object name : (Object[]) array.getArray()) {
            Role.named((String) name).ifPresent(roles::add);
        }
        Timestamp revoked = rs.getTimestamp(6);
        String scope = rs.getString(8);
        // A stored scope was parsed when the key was made; the same text parses the same way again.
        return new Row(new Key(rs.getString(1), rs.getString(2), roles, scope == null ? null : Scope.parse(scope),
                rs.getTimestamp(4).toInstant(),
                rs.getString(5), revoked == null ? null : revoked.toInstant()), rs.getString(7));
    }

    private static String newKey() {
        byte[] id = new byte[6];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        return PREFIX + HexFormat.of().formatHex(id) + "_" + HexFormat.of().formatHex(secret);
    }

    private static String id(String key) {
        return key.substring(PREFIX.length(), PREFIX.length() + 12);
    }

    /** The SHA-256 of a credential's text (a key, a token): what is kept in memory of one that passed. */
    static byte[] sha256(String credential) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
