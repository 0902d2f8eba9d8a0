package io.anchormq.platform.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;

/** The certificates the platform CA issued; the revoked ones make the CRL. */
public final class CertificateTable {

    private static final String COLUMNS =
            "serial, workspace_id, device_id, subject, not_before, not_after, pem, issued_at, revoked_at";

    private final DataSource dataSource;

    public CertificateTable(Database database) {
        this.dataSource = database.dataSource();
    }

    /**
     * Inserts {@code certificate} (issuedAt null: now) and returns it as stored. Serials are kept in lowercase hex,
     * so that lookups do not depend on how the caller spelled them.
     *
     * @throws StoreConflict when its serial is taken
     * @throws StoreMissingReference when its workspace does not exist
     */
    public IssuedCertificate create(IssuedCertificate certificate) {
        IssuedCertificate row = new IssuedCertificate(serial(certificate.serial()), certificate.workspaceId(),
                certificate.deviceId(), certificate.subject(), Jdbc.stored(certificate.notBefore()),
                Jdbc.stored(certificate.notAfter()), certificate.pem(),
                certificate.issuedAt() == null ? Jdbc.now() : Jdbc.stored(certificate.issuedAt()),
                Jdbc.stored(certificate.revokedAt()));
        return Jdbc.transaction(dataSource, c -> {
            DeviceTable.requireWorkspace(c, row.workspaceId());
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO certificate (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, row.serial());
                ps.setString(2, row.workspaceId());
                ps.setString(3, row.deviceId());
                ps.setString(4, row.subject());
                Jdbc.setInstant(ps, 5, row.notBefore());
                Jdbc.setInstant(ps, 6, row.notAfter());
                ps.setString(7, row.pem());
                Jdbc.setInstant(ps, 8, row.issuedAt());
                Jdbc.setInstant(ps, 9, row.revokedAt());
                ps.executeUpdate();
            }
            return row;
        });
    }

    public Optional<IssuedCertificate> find(String serial) {
        return Jdbc.read(dataSource, c -> find(c, serial(serial)));
    }

    /** The workspace's certificates, revoked ones too, in the order they were issued. */
    public List<IssuedCertificate> listForWorkspace(String workspaceId) {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM certificate"
                    + " WHERE workspace_id = ? ORDER BY issued_at, serial")) {
                ps.setString(1, workspaceId);
                return Jdbc.list(ps, CertificateTable::certificate);
            }
        });
    }

    /** The device's certificates, revoked ones too, in the order they were issued. */
    public List<IssuedCertificate> listForDevice(String workspaceId, String deviceId) {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM certificate"
                    + " WHERE workspace_id = ? AND device_id = ? ORDER BY issued_at, serial")) {
                ps.setString(1, workspaceId);
                ps.setString(2, deviceId);
                return Jdbc.list(ps, CertificateTable::certificate);
            }
        });
    }

    /**
     * Revokes the certificate as of {@code at}; one revoked earlier keeps its earlier time.
     *
     * @return the certificate as stored now; empty when there is none with that serial
     */
    public Optional<IssuedCertificate> revoke(String serial, Instant at) {
        String s = serial(serial);
        return Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE certificate SET " + Jdbc.EARLIEST_REVOCATION + " WHERE serial = ?")) {
                Jdbc.setInstant(ps, 1, at);
                Jdbc.setInstant(ps, 2, at);
                ps.setString(3, s);
                ps.executeUpdate();
            }
            return find(c, s);
        });
    }

    /** Every revoked certificate, of all workspaces (the platform CA's CRL), in the order they were revoked. */
    public List<IssuedCertificate> listRevoked() {
        return Jdbc.read(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM certificate"
                    + " WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial")) {
                return Jdbc.list(ps, CertificateTable::certificate);
            }
        });
    }

    private static String serial(String serial) {
        return serial.toLowerCase(Locale.ROOT);
    }

    private static Optional<IssuedCertificate> find(Connection c, String serial) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM certificate WHERE serial = ?")) {
            ps.setString(1, serial);
            return Jdbc.first(ps, CertificateTable::certificate);
        }
    }

    private static IssuedCertificate certificate(ResultSet rs) throws SQLException {
        return new IssuedCertificate(rs.getString("serial"), rs.getString("workspace_id"), rs.getString("device_id"),
                rs.getString("subject"), Jdbc.getInstant(rs, "not_before"), Jdbc.getInstant(rs, "not_after"),
                rs.getString("pem"), Jdbc.getInstant(rs, "issued_at"), Jdbc.getInstant(rs, "revoked_at"));
    }
}
