package io.twinplatform.query.fleet;

import java.util.List;

/**
 * A fleet query as SQL text and its bind parameters. The text holds only what the compiler wrote; every value a
 * user gave (literals, field names, cursor values, limits) is a parameter.
 *
 * @param sql     the statement, with {@code ?} placeholders
 * @param params  the parameters in order: {@link String}, {@link Long}, {@link Integer}, {@link Boolean},
 *                {@link Json} (bound as text, cast to jsonb in the SQL) or {@link TextArray}
 * @param outputs how many output columns ({@code o1..on}) each row has
 * @param keys    how many cursor columns ({@code c1..cm}) each row has, in cursor order
 */
public record CompiledQuery(String sql, List<Object> params, int outputs, int keys) {

    /** A JSON value bound as text; the SQL casts it ({@code ?::jsonb}). */
    public record Json(String text) {
    }

    /** A text[] parameter: a field's path. */
    public record TextArray(List<String> items) {
    }
}
