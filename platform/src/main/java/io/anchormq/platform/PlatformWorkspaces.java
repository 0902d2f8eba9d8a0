package io.anchormq.platform;

import io.anchormq.broker.WorkspaceResources;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.integrity.LoggedMessage;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.retained.DurableRetainedStore;
import io.anchormq.broker.session.DurableSessionStore;
import io.anchormq.broker.session.InMemorySessionStore;
import io.anchormq.broker.store.BrokerStore;
import java.util.function.Function;
import io.anchormq.broker.session.SessionStore;
import io.anchormq.platform.acl.WorkspaceAcls;
import io.anchormq.platform.anchoring.IntegrityLogs;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Each workspace's stores, log and access policy: its sessions and retained messages in the broker's durable
 * state (or in memory), its own integrity log, the platform's rules before its ACL.
 */
final class PlatformWorkspaces implements WorkspaceResources {

    private final IntegrityLogs logs;
    private final AccessPolicy access;
    private final WorkspaceAcls acls;
    /**
     * Each workspace's anonymous topic prefix, unless its anonymous topics are logged (null inside: none): those
     * topics are not logged.
     */
    private final Map<String, AtomicReference<String>> anonymousTopics = new ConcurrentHashMap<>();
    private final Function<String, SessionStore> sessions;
    private final Function<String, RetainedStore> retained;

    /**
     * @param logs null when the integrity log is off
     * @param access the platform's own rules (the configured deny lists), consulted before each workspace's ACL
     */
    PlatformWorkspaces(IntegrityLogs logs, AccessPolicy access, WorkspaceAcls acls,
                       Function<String, SessionStore> sessions, Function<String, RetainedStore> retained) {
        this.logs = logs;
        this.access = access;
        this.acls = acls;
        this.sessions = sessions;
        this.retained = retained;
    }

    /** Every workspace's sessions and retained messages in the durable store, or in memory if it is null. */
    static Function<String, SessionStore> sessionsIn(BrokerStore store) {
        return store == null ? w -> new InMemorySessionStore() : w -> new DurableSessionStore(store, w);
    }

    static Function<String, RetainedStore> retainedIn(BrokerStore store) {
        return store == null ? w -> new InMemoryRetainedStore() : w -> new DurableRetainedStore(store, w);
    }

    @Override
    public SessionStore sessionStore(String workspace) {
        return sessions.apply(workspace);
    }

    @Override
    public RetainedStore retainedStore(String workspace) {
        return retained.apply(workspace);
    }

    /**
     * The workspace's log, except for the topics of its confined anonymous clients unless the workspace wants them
     * logged: a credential presentation exchanged there is reachable only by whoever knows its random topic, and
     * by default the broker keeps nothing of it.
     */
    @Override
    public IntegrityLog integrityLog(String workspace) {
        if (logs == null) {
            return IntegrityLog.NONE;
        }
        IntegrityLog log = logs.open(workspace);
        AtomicReference<String> unlogged = anonymousTopicsOf(workspace);
        return new IntegrityLog() {
            @Override
            public Coverage coverage(String topic, int qos) {
                String prefix = unlogged.get();
                return prefix != null && topic.startsWith(prefix) ? Coverage.NONE : log.coverage(topic, qos);
            }

            @Override
            public void append(LoggedMessage message, boolean confirm, Outcome outcome) {
                log.append(message, confirm, outcome);
            }

            @Override
            public boolean isBehind() {
                return log.isBehind();
            }

            @Override
            public void whenCaughtUp(Runnable wake) {
                log.whenCaughtUp(wake);
            }
        };
    }

    /**
     * The workspace's anonymous topic prefix (null: it admits no anonymous clients any more), or whether those
     * topics are logged, changed.
     */
    void anonymousTopicsChanged(String workspace, String prefix, boolean logged) {
        anonymousTopicsOf(workspace).set(logged ? null : prefix);
    }

    /**
     * The workspace was deleted: its prefix goes (its log's wrapper went with its broker; a workspace made again
     * with the id gets a new one).
     */
    void forget(String workspace) {
        anonymousTopics.remove(workspace);
    }

    /** The workspace's unlogged prefix, held where its log's wrapper reads it on every publish without a map lookup. */
    private AtomicReference<String> anonymousTopicsOf(String workspace) {
        return anonymousTopics.computeIfAbsent(workspace, w -> new AtomicReference<>());
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
