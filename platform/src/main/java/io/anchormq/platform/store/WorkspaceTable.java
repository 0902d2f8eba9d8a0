package io.anchormq.platform.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The workspaces. Deleting one deletes all it holds (foreign keys ON DELETE CASCADE). */
public final class WorkspaceTable {

    private static final String COLUMNS = "id, name, created_at, anonymous_topic_prefix, log_public_read,"
            + " max_connections, max_messages_per_second, max_bytes_per_second, max_subscriptions_per_client,"
            + " max_retained_messages, max_queued_messages, anonymous_messages_per_second, anonymous_bytes_per_second,"
            + " log_anonymous_topics";

    private final DataSource dataSource;

    public WorkspaceTable(Database database) {
        this.dataSource = database.dataSource();
    }

    /**
     * Inserts {@code workspace} (createdAt null: now) and returns it as stored.
     *
     * @throws StoreConflict when a workspace with its id exists
     */
    public Workspace create(Workspace workspace) {
        Workspace row = new Workspace(workspace.id(), workspace.name(),
                workspace.createdAt() == null ? Jdbc.now() : Jdbc.stored(workspace.createdAt()),
                workspace.anonymousTopicPrefix(), workspace.logPublicRead(), workspace.quotas(),
                workspace.anonymousRateQuota(), workspace.logAnonymousTopics());
        return Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM workspace WHERE id = ?")) {
                ps.setString(1, row.id());
                if (Jdbc.first(ps, rs -> true).isPresent()) {
                    throw new StoreConflict("workspace " + row.id() + " exists");
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO workspace (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, row.id());
                ps.setString(2, row.name());
                Jdbc.setInstant(ps, 3, row.createdAt());
                setMutable(ps, 4, row);
                ps.executeUpdate();
            }
            return row;
        });
    }

    public Optional<Workspace> find(String id) {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM workspace WHERE id = ?")) {
                ps.setString(1, id);
                return Jdbc.first(ps, WorkspaceTable::workspace);
            }
        });
    }

    /** All workspaces, by id. */
    public List<Workspace> list() {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM workspace ORDER BY id")) {
                return Jdbc.list(ps, WorkspaceTable::workspace);
            }
        });
    }

    /**
     * Replaces the workspace's name, anonymous topic prefix, log_public_read, quotas and anonymous clients' settings
     * (not its creation time).
     *
     * @return the workspace as stored now; empty when there is none with that id
     */
    public Optional<Workspace> update(Workspace workspace) {
        return Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE workspace SET name = ?,"
                    + " anonymous_topic_prefix = ?, log_public_read = ?, max_connections = ?,"
                    + " max_messages_per_second = ?, max_bytes_per_second = ?, max_subscriptions_per_client = ?,"
                    + " max_retained_messages = ?, max_queued_messages = ?, anonymous_messages_per_second = ?,"
                    + " anonymous_bytes_per_second = ?, log_anonymous_topics = ? WHERE id = ?")) {
                ps.setString(1, workspace.name());
                setMutable(ps, 2, workspace);
                ps.setString(13, workspace.id());
                if (ps.executeUpdate() == 0) {
                    return Optional.empty();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM workspace WHERE id = ?")) {
                ps.setString(1, workspace.id());
                return Jdbc.first(ps, WorkspaceTable::workspace);
            }
        });
    }

    /**
     * Deletes the workspace with its devices, credentials, ACL rules, certificates and API keys.
     *
     * @return whether there was one
     */
    public boolean delete(String id) {
        return Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM workspace WHERE id = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /** anonymous_topic_prefix .. log_anonymous_topics, from {@code first} on: the columns update may change. */
    private static void setMutable(PreparedStatement ps, int first, Workspace w) throws SQLException {
        Quotas q = w.quotas();
        ps.setString(first, w.anonymousTopicPrefix());
        ps.setBoolean(first + 1, w.logPublicRead());
        Jdbc.setInteger(ps, first + 2, q.maxConnections());
        Jdbc.setInteger(ps, first + 3, q.maxMessagesPerSecond());
        Jdbc.setLong(ps, first + 4, q.maxBytesPerSecond());
        Jdbc.setInteger(ps, first + 5, q.maxSubscriptionsPerClient());
        Jdbc.setInteger(ps, first + 6, q.maxRetainedMessages());
        Jdbc.setInteger(ps, first + 7, q.maxQueuedMessages());
        Jdbc.setInteger(ps, first + 8, w.anonymousRateQuota().messagesPerSecond());
        Jdbc.setLong(ps, first + 9, w.anonymousRateQuota().bytesPerSecond());
        ps.setBoolean(first + 10, w.logAnonymousTopics());
    }

    private static Workspace workspace(ResultSet rs) throws SQLException {
        return new Workspace(rs.getString("id"), rs.getString("name"), Jdbc.getInstant(rs, "created_at"),
                rs.getString("anonymous_topic_prefix"), rs.getBoolean("log_public_read"),
                new Quotas(Jdbc.getInteger(rs, "max_connections"), Jdbc.getInteger(rs, "max_messages_per_second"),
                        Jdbc.getLong(rs, "max_bytes_per_second"), Jdbc.getInteger(rs, "max_subscriptions_per_client"),
                        Jdbc.getInteger(rs, "max_retained_messages"), Jdbc.getInteger(rs, "max_queued_messages")),
                new AnonymousRateQuota(Jdbc.getInteger(rs, "anonymous_messages_per_second"),
                        Jdbc.getLong(rs, "anonymous_bytes_per_second")),
                rs.getBoolean("log_anonymous_topics"));
    }
}
