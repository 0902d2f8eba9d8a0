package io.anchormq.platform.identity;

/**
 * Who is calling the admin API, from the API key it presented.
 *
 * @param workspace the workspace the key belongs to; null for a platform-wide key
 */
public record Caller(String keyId, String role, String workspace) {

    public static final String PLATFORM_ADMIN = "platform-admin";
    public static final String WORKSPACE_ADMIN = "workspace-admin";
    public static final String WORKSPACE_READ = "workspace-read";

    public boolean isPlatformAdmin() {
        return PLATFORM_ADMIN.equals(role);
    }

    /** May see the workspace's resources (a key of another workspace may not even learn it exists). */
    public boolean sees(String workspaceId) {
        return isPlatformAdmin() || workspaceId.equals(workspace);
    }

    /** May change the workspace's devices, credentials, certificates, ACLs and keys. */
    public boolean administers(String workspaceId) {
        return isPlatformAdmin() || (WORKSPACE_ADMIN.equals(role) && workspaceId.equals(workspace));
    }
}
