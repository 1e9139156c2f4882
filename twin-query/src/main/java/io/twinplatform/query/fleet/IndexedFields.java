package io.twinplatform.query.fleet;

import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.Field;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.query.TwinQuerySettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Expression indexes on the fields named in {@code twin.query.indexed-fields}: a B-tree on
 * {@code fields['a']['b']} (see {@link DocumentColumns}), which serves range comparisons ({@code <}, {@code >=}, …) on that field outside
 * NOT. Created at start-up when missing; an index of this kind whose field is no longer configured is dropped.
 * Equality and IN need none: the GIN index answers them for every field.
 */
@Component
class IndexedFields implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(IndexedFields.class);
    private static final String PREFIX = "twin_document_field_";

    private final JdbcTemplate jdbc;
    private final Map<String, Field> fields = new LinkedHashMap<>();

    IndexedFields(JdbcTemplate jdbc, TwinQuerySettings settings) {
        this.jdbc = jdbc;
        for (String text : settings.indexedFields()) {
            if (text.isBlank()) {
                continue;
            }
            Field field;
            try {
                field = TwinQuery.parseField(text);
            } catch (TwinException e) {
                throw new IllegalStateException("twin.query.indexed-fields: '" + text + "' is not a field: "
                        + e.getMessage(), e);
            }
            if (!DocumentColumns.indexable(field)) {
                throw new IllegalStateException("twin.query.indexed-fields: '" + text + "' cannot be indexed; name a"
                        + " stored field whose segments are letters, digits, '_' or '$' and do not start with a digit");
            }
            // Named after the indexed expression, so an index of an older form is dropped and rebuilt.
            fields.put(PREFIX + fingerprint(DocumentColumns.indexExpression(field)), field);
        }
    }

    @Override
    public void afterSingletonsInstantiated() {
        List<String> existing = jdbc.queryForList("SELECT indexname FROM pg_indexes WHERE tablename = 'twin_document'"
                + " AND indexname LIKE '" + PREFIX + "%'", String.class);
        for (String name : existing) {
            if (!fields.containsKey(name)) {
                jdbc.execute("DROP INDEX IF EXISTS " + name);
                log.info("dropped expression index {}: its field is no longer in twin.query.indexed-fields", name);
            }
        }
        fields.forEach((name, field) -> {
            if (!existing.contains(name)) {
                long start = System.nanoTime();
                jdbc.execute("CREATE INDEX IF NOT EXISTS " + name + " ON twin_document ("
                        + DocumentColumns.indexExpression(field) + ")");
                log.info("created expression index {} on {} in {} ms", name, field,
                        (System.nanoTime() - start) / 1_000_000);
            }
        });
    }

    private static String fingerprint(String expression) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(expression.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
