package io.anchormq.platform.http;

/** What a change made through the admin API must do to the running broker at once (no stale state, no cache). */
public interface AdminEffects {

    /** A workspace was created: its broker and log are opened. */
    void workspaceCreated(String workspace);

    /** A workspace's settings changed (quotas, anonymous topics): they are in force at once. */
    void workspaceChanged(String workspace);

    /** A workspace was deleted: its clients are disconnected, its broker closed. */
    void workspaceDeleted(String workspace);

    /** A device was deleted: its clients are disconnected. */
    void deviceDeleted(String workspace, String device);

    /**
     * The workspace's ACL rules or its devices' groups changed: the new rules are in force for the next PUBLISH,
     * and subscriptions they no longer allow are removed from live sessions.
     */
    void accessRulesChanged(String workspace);

    /** A credential was revoked or deleted: the clients that used it are disconnected. */
    void credentialRevoked(String credentialId);
}
