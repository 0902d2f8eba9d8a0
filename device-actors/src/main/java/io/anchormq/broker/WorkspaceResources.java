package io.anchormq.broker;

import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.session.InMemorySessionStore;
import io.anchormq.broker.session.SessionStore;

/**
 * What the broker asks for each workspace it opens: where its sessions and retained messages are kept, which log
 * its messages go to and who may publish and subscribe what. Every workspace gets its own, so nothing is shared
 * between workspaces but the threads.
 */
public interface WorkspaceResources {

    SessionStore sessionStore(String workspace);

    RetainedStore retainedStore(String workspace);

    IntegrityLog integrityLog(String workspace);

    AccessPolicy accessPolicy(String workspace);

    /** In memory, no log, the given policy for every workspace. */
    static WorkspaceResources inMemory(AccessPolicy access) {
        return new WorkspaceResources() {
            @Override
            public SessionStore sessionStore(String workspace) {
                return new InMemorySessionStore();
            }

            @Override
            public RetainedStore retainedStore(String workspace) {
                return new InMemoryRetainedStore();
            }

            @Override
            public IntegrityLog integrityLog(String workspace) {
                return IntegrityLog.NONE;
            }

            @Override
            public AccessPolicy accessPolicy(String workspace) {
                return access;
            }
        };
    }
}
