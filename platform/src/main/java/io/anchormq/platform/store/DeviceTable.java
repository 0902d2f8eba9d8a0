package io.anchormq.platform.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import javax.sql.DataSource;

/** The devices of the workspaces, with the groups each is in. */
public final class DeviceTable {

    private final DataSource dataSource;

    public DeviceTable(Database database) {
        this.dataSource = database.dataSource();
    }

    /**
     * Inserts {@code device} (createdAt null: now) with its groups, and returns it as stored.
     *
     * @throws StoreConflict when the workspace has a device with that id
     * @throws StoreMissingReference when there is no such workspace
     */
    public Device create(Device device) {
        Device row = new Device(device.workspaceId(), device.id(),
                device.createdAt() == null ? Jdbc.now() : Jdbc.stored(device.createdAt()), sorted(device.groups()));
        return Jdbc.transaction(dataSource, c -> {
            requireWorkspace(c, row.workspaceId());
            if (exists(c, row.workspaceId(), row.id())) {
                throw new StoreConflict("device " + row.id() + " exists in workspace " + row.workspaceId());
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO device (workspace_id, id, created_at) VALUES (?, ?, ?)")) {
                ps.setString(1, row.workspaceId());
                ps.setString(2, row.id());
                Jdbc.setInstant(ps, 3, row.createdAt());
                ps.executeUpdate();
            }
            insertGroups(c, row.workspaceId(), row.id(), row.groups());
            return row;
        });
    }

    public Optional<Device> find(String workspaceId, String id) {
        return Jdbc.read(dataSource, c -> find(c, workspaceId, id));
    }

    /** The workspace's devices, by id. */
    public List<Device> list(String workspaceId) {
        return Jdbc.read(dataSource, c -> {
            Map<String, List<String>> groups = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT device_id, group_name FROM device_group_member WHERE workspace_id = ?")) {
                ps.setString(1, workspaceId);
                for (String[] pair : Jdbc.list(ps, rs -> new String[] {rs.getString(1), rs.getString(2)})) {
                    groups.computeIfAbsent(pair[0], k -> new ArrayList<>()).add(pair[1]);
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, created_at FROM device WHERE workspace_id = ? ORDER BY id")) {
                ps.setString(1, workspaceId);
                return Jdbc.list(ps, rs -> new Device(workspaceId, rs.getString("id"),
                        Jdbc.getInstant(rs, "created_at"), sorted(groups.get(rs.getString("id")))));
            }
        });
    }

    /**
     * Replaces the device's groups.
     *
     * @return the device as stored now; empty when there is no such device
     */
    public Optional<Device> setGroups(String workspaceId, String id, List<String> groups) {
        List<String> names = sorted(groups);
        return Jdbc.transaction(dataSource, c -> {
            if (!exists(c, workspaceId, id)) {
                return Optional.empty();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM device_group_member WHERE workspace_id = ? AND device_id = ?")) {
                ps.setString(1, workspaceId);
                ps.setString(2, id);
                ps.executeUpdate();
            }
            insertGroups(c, workspaceId, id, names);
            return find(c, workspaceId, id);
        });
    }

    /**
     * Deletes the device, its group memberships and credentials, and revokes (as of now) its certificates that are
     * not revoked yet: they stay on record for the CRL, and must not let a device later created with the same id in.
     *
     * @return whether there was one
     */
    public boolean delete(String workspaceId, String id) {
        Instant now = Jdbc.now();
        return Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE certificate SET revoked_at = ?"
                    + " WHERE workspace_id = ? AND device_id = ? AND revoked_at IS NULL")) {
                Jdbc.setInstant(ps, 1, now);
                ps.setString(2, workspaceId);
                ps.setString(3, id);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM device WHERE workspace_id = ? AND id = ?")) {
                ps.setString(1, workspaceId);
                ps.setString(2, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    static void requireWorkspace(Connection c, String workspaceId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM workspace WHERE id = ?")) {
            ps.setString(1, workspaceId);
            if (Jdbc.first(ps, rs -> true).isEmpty()) {
                throw new StoreMissingReference("no workspace " + workspaceId);
            }
        }
    }

    static boolean exists(Connection c, String workspaceId, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM device WHERE workspace_id = ? AND id = ?")) {
            ps.setString(1, workspaceId);
            ps.setString(2, id);
            return Jdbc.first(ps, rs -> true).isPresent();
        }
    }

    private static Optional<Device> find(Connection c, String workspaceId, String id) throws SQLException {
        Instant createdAt;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT created_at FROM device WHERE workspace_id = ? AND id = ?")) {
            ps.setString(1, workspaceId);
            ps.setString(2, id);
            Optional<Instant> found = Jdbc.first(ps, rs -> Jdbc.getInstant(rs, "created_at"));
            if (found.isEmpty()) {
                return Optional.empty();
            }
            createdAt = found.get();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT group_name FROM device_group_member WHERE workspace_id = ? AND device_id = ?")) {
            ps.setString(1, workspaceId);
            ps.setString(2, id);
            return Optional.of(new Device(workspaceId, id, createdAt, sorted(Jdbc.list(ps, rs -> rs.getString(1)))));
        }
    }

    private static void insertGroups(Connection c, String workspaceId, String id, List<String> groups)
            throws SQLException {
        if (groups.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO device_group_member (workspace_id, group_name, device_id) VALUES (?, ?, ?)")) {
            for (String group : groups) {
                ps.setString(1, workspaceId);
                ps.setString(2, group);
                ps.setString(3, id);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Sorted in Java, not by ORDER BY: the database's collation (PostgreSQL's depends on the cluster's locale) would
     * order them differently from what create returns. Without duplicates (a device is in a group or not); blank
     * names are refused.
     */
    private static List<String> sorted(List<String> groups) {
        TreeSet<String> names = new TreeSet<>();
        for (String g : groups == null ? List.<String>of() : groups) {
            if (g == null || g.isBlank()) {
                throw new IllegalArgumentException("a group name must not be blank");
            }
            names.add(g);
        }
        return List.copyOf(names);
    }
}
