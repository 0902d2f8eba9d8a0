package io.anchormq.platform;

import io.anchormq.broker.WorkspaceResources;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.session.InMemorySessionStore;
import io.anchormq.broker.session.SessionStore;
import io.anchormq.platform.anchoring.IntegrityLogs;

/**
 * Each workspace's stores, log and access policy. The default workspace keeps the stores the server was started
 * with (a restored session store, say); the others get their own, in memory until the broker's state is durable.
 */
final class PlatformWorkspaces implements WorkspaceResources {

    private final IntegrityLogs logs;
    private final AccessPolicy access;
    private final SessionStore defaultSessions;
    private final RetainedStore defaultRetained;

    /** @param logs null when the integrity log is off */
    PlatformWorkspaces(IntegrityLogs logs, AccessPolicy access, SessionStore defaultSessions,
                       RetainedStore defaultRetained) {
        this.logs = logs;
        this.access = access;
        this.defaultSessions = defaultSessions;
        this.defaultRetained = defaultRetained;
    }

    @Override
    public SessionStore sessionStore(String workspace) {
        return ClientIdentity.DEFAULT_WORKSPACE.equals(workspace) ? defaultSessions : new InMemorySessionStore();
    }

    @Override
    public RetainedStore retainedStore(String workspace) {
        return ClientIdentity.DEFAULT_WORKSPACE.equals(workspace) ? defaultRetained : new InMemoryRetainedStore();
    }

    @Override
    public IntegrityLog integrityLog(String workspace) {
        return logs == null ? IntegrityLog.NONE : logs.open(workspace);
    }

    @Override
    public AccessPolicy accessPolicy(String workspace) {
        return access;
    }
}
