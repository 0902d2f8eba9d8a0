package io.anchormq.platform.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** The admin API's keys, found by the SHA-256 of the key a request presents. */
public final class ApiKeyTable {

    private static final String COLUMNS = "id, workspace_id, role, name, secret_hash, created_at, revoked_at";

    private final DataSource dataSource;

    public ApiKeyTable(Database database) {
        this.dataSource = database.dataSource();
    }

    /**
     * Inserts {@code key} (id null: a random UUID; createdAt null: now) and returns it as stored.
     *
     * @throws StoreConflict when its id or secret hash is taken
     * @throws StoreMissingReference when its workspace does not exist
     */
    public ApiKey create(ApiKey key) {
        ApiKey row = new ApiKey(key.id() == null ? UUID.randomUUID().toString() : key.id(), key.workspaceId(),
                key.role(), key.name(), key.secretHash(),
                key.createdAt() == null ? Jdbc.now() : Jdbc.stored(key.createdAt()), Jdbc.stored(key.revokedAt()));
        return Jdbc.transaction(dataSource, c -> {
            if (row.workspaceId() != null) {
                DeviceTable.requireWorkspace(c, row.workspaceId());
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO api_key (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, row.id());
                ps.setString(2, row.workspaceId());
                ps.setString(3, row.role());
                ps.setString(4, row.name());
                ps.setString(5, row.secretHash());
                Jdbc.setInstant(ps, 6, row.createdAt());
                Jdbc.setInstant(ps, 7, row.revokedAt());
                ps.executeUpdate();
            }
            return row;
        });
    }

    /** The key with that hash, revoked or not (check {@link ApiKey#validAt}). */
    public Optional<ApiKey> findBySecretHash(String secretHash) {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM api_key WHERE secret_hash = ?")) {
                ps.setString(1, secretHash);
                return Jdbc.first(ps, ApiKeyTable::apiKey);
            }
        });
    }

    public Optional<ApiKey> find(String id) {
        return Jdbc.read(dataSource, c -> find(c, id));
    }

    /**
     * The keys of one workspace, or with {@code null} the platform-wide ones (not every key: see {@link #listAll}),
     * revoked ones too, oldest first.
     */
    public List<ApiKey> list(String workspaceIdOrNull) {
        return Jdbc.read(dataSource, c -> {
            String where = workspaceIdOrNull == null ? "workspace_id IS NULL" : "workspace_id = ?";
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM api_key WHERE " + where + " ORDER BY created_at, id")) {
                if (workspaceIdOrNull != null) {
                    ps.setString(1, workspaceIdOrNull);
                }
                return Jdbc.list(ps, ApiKeyTable::apiKey);
            }
        });
    }

    /** Every key, platform-wide and of all workspaces, oldest first. */
    public List<ApiKey> listAll() {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM api_key ORDER BY created_at, id")) {
                return Jdbc.list(ps, ApiKeyTable::apiKey);
            }
        });
    }

    /**
     * Revokes the key as of {@code at}; one revoked earlier keeps its earlier time.
     *
     * @return the key as stored now; empty when there is none with that id
     */
    public Optional<ApiKey> revoke(String id, Instant at) {
        return Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE api_key SET " + Jdbc.EARLIEST_REVOCATION + " WHERE id = ?")) {
                Jdbc.setInstant(ps, 1, at);
                Jdbc.setInstant(ps, 2, at);
                ps.setString(3, id);
                ps.executeUpdate();
            }
            return find(c, id);
        });
    }

    /** How many keys there are, revoked ones included (none at all: the platform has never been set up). */
    public long count() {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM api_key")) {
                return Jdbc.first(ps, rs -> rs.getLong(1)).orElse(0L);
            }
        });
    }

    private static Optional<ApiKey> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM api_key WHERE id = ?")) {
            ps.setString(1, id);
            return Jdbc.first(ps, ApiKeyTable::apiKey);
        }
    }

    private static ApiKey apiKey(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getString("id"), rs.getString("workspace_id"), rs.getString("role"), rs.getString("name"),
                rs.getString("secret_hash"), Jdbc.getInstant(rs, "created_at"), Jdbc.getInstant(rs, "revoked_at"));
    }
}
