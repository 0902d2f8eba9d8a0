package io.anchormq.platform.store;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A key of the admin HTTP API. Only the SHA-256 of the key is stored; the key is shown once, when created.
 *
 * @param id a UUID; null on create: a random one
 * @param workspaceId the workspace it is for; null: platform-wide
 * @param role "platform-admin", "workspace-admin" or "workspace-read"
 * @param secretHash lowercase hex SHA-256 of the key
 * @param createdAt null on create: the time of the insert
 * @param revokedAt null: not revoked
 */
public record ApiKey(String id, String workspaceId, String role, String name, String secretHash, Instant createdAt,
                     Instant revokedAt) {

    public static final String PLATFORM_ADMIN = "platform-admin";
    public static final String WORKSPACE_ADMIN = "workspace-admin";
    public static final String WORKSPACE_READ = "workspace-read";
    static final Set<String> ROLES = Set.of(PLATFORM_ADMIN, WORKSPACE_ADMIN, WORKSPACE_READ);

    public ApiKey {
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("API key role must be one of " + ROLES + ": " + role);
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(secretHash, "secretHash");
    }

    /** Not revoked at {@code t}. */
    public boolean validAt(Instant t) {
        return revokedAt == null || t.isBefore(revokedAt);
    }
}
