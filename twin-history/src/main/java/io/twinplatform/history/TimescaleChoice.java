package io.twinplatform.history;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Whether the history side's tables (history, telemetry) use the TimescaleDB dialect: {@code twin.history.dialect}
 * is {@code native}, {@code timescale} (refused when the extension is missing) or {@code auto} (Timescale when the
 * {@code timescaledb} extension is installed in this database).
 */
public final class TimescaleChoice {

    private TimescaleChoice() {
    }

    public static boolean useTimescale(String dialect, JdbcTemplate jdbc) {
        return switch (dialect) {
            case "native" -> false;
            case "timescale" -> {
                if (!installed(jdbc)) {
                    throw new IllegalStateException("twin.history.dialect=timescale, but the timescaledb extension is"
                            + " not installed in this database (CREATE EXTENSION timescaledb)");
                }
                yield true;
            }
            case "auto" -> installed(jdbc);
            default -> throw new IllegalStateException("twin.history.dialect is auto, native or timescale, not "
                    + dialect);
        };
    }

    private static boolean installed(JdbcTemplate jdbc) {
        return Boolean.TRUE.equals(jdbc.queryForObject(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')", Boolean.class));
    }
}
