package io.anchormq.platform.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/** The workspaces' ordered ACL rules. */
public final class AclTable {

    private static final String COLUMNS =
            "id, workspace_id, position, subject_kind, subject, action, topic, permission, created_at";

    private final DataSource dataSource;

    public AclTable(Database database) {
        this.dataSource = database.dataSource();
    }

    /**
     * The workspace's rules in the order they apply: by position; rules with the same position in the order they
     * were created.
     */
    public List<AclRule> list(String workspaceId) {
        return Jdbc.read(dataSource, c -> list(c, workspaceId));
    }

    private static List<AclRule> list(Connection c, String workspaceId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM acl_rule"
                + " WHERE workspace_id = ? ORDER BY position, created_at, id")) {
            ps.setString(1, workspaceId);
            return Jdbc.list(ps, AclTable::rule);
        }
    }

    /**
     * Inserts {@code rule} (id null: a random UUID; createdAt null: now) and returns it as stored.
     *
     * @throws StoreConflict when its id is taken
     * @throws StoreMissingReference when its workspace does not exist
     */
    public AclRule create(AclRule rule) {
        return Jdbc.transaction(dataSource, c -> {
            DeviceTable.requireWorkspace(c, rule.workspaceId());
            return insert(c, rule, Jdbc.now());
        });
    }

    /** @return whether the workspace had that rule */
    public boolean delete(String workspaceId, String id) {
        return Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM acl_rule WHERE workspace_id = ? AND id = ?")) {
                ps.setString(1, workspaceId);
                ps.setString(2, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /**
     * Replaces all the workspace's rules with {@code rules}, in one transaction: when one of them is refused, the
     * old rules stay, and no reader ever sees a mix.
     *
     * @return the new rules as stored, in the order they apply
     * @throws IllegalArgumentException when a rule is of another workspace
     */
    public List<AclRule> replaceAll(String workspaceId, List<AclRule> rules) {
        for (AclRule rule : rules) {
            if (!rule.workspaceId().equals(workspaceId)) {
                throw new IllegalArgumentException("ACL rule " + rule.id() + " is of workspace " + rule.workspaceId()
                        + ", not " + workspaceId);
            }
        }
        Instant now = Jdbc.now();
        return Jdbc.transaction(dataSource, c -> {
            DeviceTable.requireWorkspace(c, workspaceId);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM acl_rule WHERE workspace_id = ?")) {
                ps.setString(1, workspaceId);
                ps.executeUpdate();
            }
            for (AclRule rule : rules) {
                insert(c, rule, now);
            }
            return list(c, workspaceId);
        });
    }

    private static AclRule insert(Connection c, AclRule rule, Instant now) throws SQLException {
        AclRule row = new AclRule(rule.id() == null ? UUID.randomUUID().toString() : rule.id(), rule.workspaceId(),
                rule.position(), rule.subjectKind(), rule.subject(), rule.action(), rule.topic(), rule.permission(),
                rule.createdAt() == null ? now : Jdbc.stored(rule.createdAt()));
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO acl_rule (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, row.id());
            ps.setString(2, row.workspaceId());
            ps.setInt(3, row.position());
            ps.setString(4, row.subjectKind());
            ps.setString(5, row.subject());
            ps.setString(6, row.action());
            ps.setString(7, row.topic());
            ps.setString(8, row.permission());
            Jdbc.setInstant(ps, 9, row.createdAt());
            ps.executeUpdate();
        }
        return row;
    }

    private static AclRule rule(ResultSet rs) throws SQLException {
        return new AclRule(rs.getString("id"), rs.getString("workspace_id"), rs.getInt("position"),
                rs.getString("subject_kind"), rs.getString("subject"), rs.getString("action"), rs.getString("topic"),
                rs.getString("permission"), Jdbc.getInstant(rs, "created_at"));
    }
}
