package io.anchormq.platform.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A device certificate the platform CA signed, kept for the CRL and for looking a presented certificate up.
 *
 * @param serial the serial number in hex
 * @param pem the certificate, PEM-encoded
 * @param issuedAt null on create: the time of the insert
 * @param revokedAt null: not revoked
 */
public record IssuedCertificate(String serial, String workspaceId, String deviceId, String subject,
                                Instant notBefore, Instant notAfter, String pem, Instant issuedAt,
                                Instant revokedAt) {

    public IssuedCertificate {
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(workspaceId, "workspaceId");
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(notAfter, "notAfter");
        Objects.requireNonNull(pem, "pem");
    }

    /** Within its validity period and not revoked at {@code t}. */
    public boolean validAt(Instant t) {
        return !t.isBefore(notBefore) && !t.isAfter(notAfter) && (revokedAt == null || t.isBefore(revokedAt));
    }
}
