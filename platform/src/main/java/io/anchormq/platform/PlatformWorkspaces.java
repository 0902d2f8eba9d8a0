package io.anchormq.platform;

import io.anchormq.broker.WorkspaceResources;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.session.InMemorySessionStore;
import io.anchormq.broker.session.SessionStore;
import io.anchormq.platform.acl.WorkspaceAcls;
import io.anchormq.platform.anchoring.IntegrityLogs;

/**
 * Each workspace's stores, log and access policy. The default workspace keeps the stores the server was started
 * with (a restored session store, say); the others get their own, in memory until the broker's state is durable.
 */
final class PlatformWorkspaces implements WorkspaceResources {

    private final IntegrityLogs logs;
    private final AccessPolicy access;
    private final WorkspaceAcls acls;
    private final SessionStore defaultSessions;
    private final RetainedStore defaultRetained;

    /**
     * @param logs null when the integrity log is off
     * @param access the platform's own rules (the configured deny lists), consulted before each workspace's ACL
     */
    PlatformWorkspaces(IntegrityLogs logs, AccessPolicy access, WorkspaceAcls acls, SessionStore defaultSessions,
                       RetainedStore defaultRetained) {
        this.logs = logs;
        this.access = access;
        this.acls = acls;
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
        AccessPolicy acl = acls.of(workspace);
        if (access == AccessPolicy.ALLOW_ALL) {
            return acl;
        }
        return new AccessPolicy() {
            @Override
            public Decision onSubscribe(ClientIdentity who, String clientId, String topicFilter) {
                Decision d = access.onSubscribe(who, clientId, topicFilter);
                return d.allowed() ? acl.onSubscribe(who, clientId, topicFilter) : d;
            }

            @Override
            public Decision onPublish(ClientIdentity who, String clientId, String topic) {
                Decision d = access.onPublish(who, clientId, topic);
                return d.allowed() ? acl.onPublish(who, clientId, topic) : d;
            }
        };
    }
}
