package io.anchormq.platform.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Transactions and column conversions shared by the tables. */
final class Jdbc {

    /** Work on one connection; may throw SQLException, which {@link #transaction} translates. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Reads one row of a result set. */
    @FunctionalInterface
    interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private Jdbc() {
    }

    /**
     * Runs {@code work} in one transaction, committed when it returns, rolled back when it throws. Constraint
     * violations become {@link StoreConflict} / {@link StoreMissingReference}, other SQL failures
     * {@link StoreException}.
     */
    static <T> T transaction(DataSource dataSource, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.rollback();
                } catch (SQLException rollbackFailed) {
                    e.addSuppressed(rollbackFailed);
                }
                throw e; // HikariCP restores auto-commit when the connection goes back to the pool
            }
        } catch (SQLException e) {
            throw translate(e);
        }
    }

    /** A read without a transaction of its own (auto-commit: one statement, one consistent snapshot). */
    static <T> T read(DataSource dataSource, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw translate(e);
        }
    }

    static RuntimeException translate(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        switch (state) {
            case "23505": // unique violation, on both H2 and PostgreSQL
                return new StoreConflict("already exists: " + e.getMessage(), e);
            case "23503": // PostgreSQL: foreign key violation (either way); H2: a child row still refers to it
            case "23506": // H2: the referenced parent row is missing
                return new StoreMissingReference("refers to a row that does not exist: " + e.getMessage(), e);
            case "23513": // H2: check constraint
            case "23514": // PostgreSQL: check constraint
            case "23502": // not null
                return new IllegalArgumentException("rejected by the schema: " + e.getMessage(), e);
            default:
                if (state.startsWith("22")) { // data exception: value too long, out of range
                    return new IllegalArgumentException("rejected by the schema: " + e.getMessage(), e);
                }
                return new StoreException("database failure (SQLState " + state + "): " + e.getMessage(), e);
        }
    }

    /** Runs a query and reads every row. */
    static <T> List<T> list(PreparedStatement ps, Row<T> row) throws SQLException {
        List<T> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(row.read(rs));
            }
        }
        return out;
    }

    static <T> Optional<T> first(PreparedStatement ps, Row<T> row) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(row.read(rs)) : Optional.empty();
        }
    }

    /**
     * Both databases keep microseconds: instants are cut to that before they are written, so that what a create
     * returns equals what a later read gives.
     */
    static Instant stored(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.MICROS);
    }

    /** The time a row is created at when the caller gives none. */
    static Instant now() {
        return stored(Instant.now());
    }

    static void setInstant(PreparedStatement ps, int index, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(index, stored(t).atOffset(ZoneOffset.UTC));
        }
    }

    static Instant getInstant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }

    static Integer getInteger(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    static Long getLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    /** A revocation never makes a row valid for longer: the earlier of the stored and the new time is kept. */
    static final String EARLIEST_REVOCATION =
            "revoked_at = CASE WHEN revoked_at IS NULL OR revoked_at > ? THEN ? ELSE revoked_at END";
}
