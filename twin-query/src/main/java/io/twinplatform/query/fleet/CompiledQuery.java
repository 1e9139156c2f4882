package io.twinplatform.query.fleet;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
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

    /** Binds {@code params} (of the types listed above) to {@code statement}, starting at index {@code first}. */
    public static void bind(Connection connection, PreparedStatement statement, int first, List<Object> params)
            throws SQLException {
        int index = first;
        for (Object param : params) {
            if (param instanceof Json json) {
                statement.setString(index, json.text());
            } else if (param instanceof TextArray array) {
                statement.setArray(index, connection.createArrayOf("text", array.items().toArray()));
            } else if (param instanceof String text) {
                statement.setString(index, text);
            } else if (param instanceof Integer number) {
                statement.setInt(index, number);
            } else if (param instanceof Long number) {
                statement.setLong(index, number);
            } else if (param instanceof Boolean flag) {
                statement.setBoolean(index, flag);
            } else {
                statement.setNull(index, Types.NULL);
            }
            index++;
        }
    }
}
