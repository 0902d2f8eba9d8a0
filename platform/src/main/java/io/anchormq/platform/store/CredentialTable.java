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

/**
 * The devices' credentials. A username names one device platform-wide (the table credential_username records
 * which), so that CONNECT can find the workspace from it; several credentials of that device may share it.
 */
public final class CredentialTable {

    private static final String COLUMNS =
            "id, workspace_id, device_id, kind, username, secret_hash, created_at, expires_at, revoked_at";

    private final DataSource dataSource;

    public CredentialTable(Database database) {
        this.dataSource = database.dataSource();
    }

    /**
     * Inserts {@code credential} (id null: a random UUID; createdAt null: now) and returns it as stored.
     *
     * @throws StoreConflict when its username belongs to another device (of this or another workspace), or its id
     *                       is taken
     * @throws StoreMissingReference when there is no such device
     */
    public Credential create(Credential credential) {
        Credential row = new Credential(credential.id() == null ? UUID.randomUUID().toString() : credential.id(),
                credential.workspaceId(), credential.deviceId(), credential.kind(), credential.username(),
                credential.secretHash(),
                credential.createdAt() == null ? Jdbc.now() : Jdbc.stored(credential.createdAt()),
                Jdbc.stored(credential.expiresAt()), Jdbc.stored(credential.revokedAt()));
        return Jdbc.transaction(dataSource, c -> {
            if (!DeviceTable.exists(c, row.workspaceId(), row.deviceId())) {
                throw new StoreMissingReference("no device " + row.deviceId() + " in workspace " + row.workspaceId());
            }
            if (row.username() != null) {
                claimUsername(c, row);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO credential (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, row.id());
                ps.setString(2, row.workspaceId());
                ps.setString(3, row.deviceId());
                ps.setString(4, row.kind());
                ps.setString(5, row.username());
                ps.setString(6, row.secretHash());
                Jdbc.setInstant(ps, 7, row.createdAt());
                Jdbc.setInstant(ps, 8, row.expiresAt());
                Jdbc.setInstant(ps, 9, row.revokedAt());
                ps.executeUpdate();
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    throw new StoreConflict("credential " + row.id() + " exists", e);
                }
                throw e;
            }
            return row;
        });
    }

    public Optional<Credential> find(String id) {
        return Jdbc.read(dataSource, c -> find(c, id));
    }

    /** Every credential with that username, revoked and expired ones too, newest first. */
    public List<Credential> findByUsername(String username) {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM credential"
                    + " WHERE username = ? ORDER BY created_at DESC, id DESC")) {
                ps.setString(1, username);
                return Jdbc.list(ps, CredentialTable::credential);
            }
        });
    }

    /** The device's credentials, revoked and expired ones too, oldest first. */
    public List<Credential> listForDevice(String workspaceId, String deviceId) {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM credential"
                    + " WHERE workspace_id = ? AND device_id = ? ORDER BY created_at, id")) {
                ps.setString(1, workspaceId);
                ps.setString(2, deviceId);
                return Jdbc.list(ps, CredentialTable::credential);
            }
        });
    }

    /**
     * Revokes the credential as of {@code at}; one revoked earlier keeps its earlier time.
     *
     * @return the credential as stored now; empty when there is none with that id
     */
    public Optional<Credential> revoke(String id, Instant at) {
        return Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE credential SET " + Jdbc.EARLIEST_REVOCATION + " WHERE id = ?")) {
                Jdbc.setInstant(ps, 1, at);
                Jdbc.setInstant(ps, 2, at);
                ps.setString(3, id);
                ps.executeUpdate();
            }
            return find(c, id);
        });
    }

    /**
     * Deletes the credential; when it was the last one with its username, the username is free again.
     *
     * @return whether there was one
     */
    public boolean delete(String id) {
        return Jdbc.transaction(dataSource, c -> {
            Optional<Credential> found = find(c, id);
            if (found.isEmpty()) {
                return false;
            }
            String username = found.get().username();
            if (username != null) {
                // first, as create does: a create for the same username waits, or is seen by the check below
                lockUsername(c, username);
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM credential WHERE id = ?")) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
            if (username != null) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM credential_username WHERE username = ?"
                        + " AND NOT EXISTS (SELECT 1 FROM credential WHERE username = ?)")) {
                    ps.setString(1, username);
                    ps.setString(2, username);
                    ps.executeUpdate();
                }
            }
            return true;
        });
    }

    /**
     * Makes the credential's device the owner of its username, or checks that it is. The owner row's primary key
     * decides between two concurrent claims: the second insert fails (unique violation) or waits for the first.
     */
    private static void claimUsername(Connection c, Credential row) throws SQLException {
        Optional<String[]> owner = lockUsername(c, row.username());
        if (owner.isPresent()) {
            if (owner.get()[0].equals(row.workspaceId()) && owner.get()[1].equals(row.deviceId())) {
                return;
            }
            throw new StoreConflict("username " + row.username() + " belongs to another device");
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO credential_username (username, workspace_id, device_id) VALUES (?, ?, ?)")) {
            ps.setString(1, row.username());
            ps.setString(2, row.workspaceId());
            ps.setString(3, row.deviceId());
            ps.executeUpdate();
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                throw new StoreConflict("username " + row.username() + " was just taken by another credential", e);
            }
            throw e;
        }
    }

    /**
     * The username's owner (workspace, device), its row locked until the transaction ends, so that a delete freeing
     * the username and a create relying on it do not both go ahead.
     */
    private static Optional<String[]> lockUsername(Connection c, String username) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT workspace_id, device_id FROM credential_username WHERE username = ? FOR UPDATE")) {
            ps.setString(1, username);
            return Jdbc.first(ps, rs -> new String[] {rs.getString(1), rs.getString(2)});
        }
    }

    private static Optional<Credential> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM credential WHERE id = ?")) {
            ps.setString(1, id);
            return Jdbc.first(ps, CredentialTable::credential);
        }
    }

    private static Credential credential(ResultSet rs) throws SQLException {
        return new Credential(rs.getString("id"), rs.getString("workspace_id"), rs.getString("device_id"),
                rs.getString("kind"), rs.getString("username"), rs.getString("secret_hash"),
                Jdbc.getInstant(rs, "created_at"), Jdbc.getInstant(rs, "expires_at"),
                Jdbc.getInstant(rs, "revoked_at"));
    }
}
