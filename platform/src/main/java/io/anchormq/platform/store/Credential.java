package io.anchormq.platform.store;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * What a device proves its identity with at CONNECT.
 *
 * @param id a UUID; null on create: a random one
 * @param kind "password", "token" or "certificate"
 * @param username the MQTT username; it belongs to one device platform-wide, but several credentials of that device
 *                 may share it (an old and a new password during a rotation)
 * @param secretHash the password's or token's hash (never the secret); for a certificate e.g. its fingerprint
 * @param createdAt null on create: the time of the insert
 * @param expiresAt null: does not expire
 * @param revokedAt null: not revoked
 */
public record Credential(String id, String workspaceId, String deviceId, String kind, String username,
                         String secretHash, Instant createdAt, Instant expiresAt, Instant revokedAt) {

    public static final String PASSWORD = "password";
    public static final String TOKEN = "token";
    public static final String CERTIFICATE = "certificate";
    static final Set<String> KINDS = Set.of(PASSWORD, TOKEN, CERTIFICATE);

    public Credential {
        Objects.requireNonNull(workspaceId, "workspaceId");
        Objects.requireNonNull(deviceId, "deviceId");
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("credential kind must be one of " + KINDS + ": " + kind);
        }
    }

    /** Neither expired nor revoked at {@code t} (both times are the first instant it is no longer valid). */
    public boolean validAt(Instant t) {
        return (expiresAt == null || t.isBefore(expiresAt)) && (revokedAt == null || t.isBefore(revokedAt));
    }
}
