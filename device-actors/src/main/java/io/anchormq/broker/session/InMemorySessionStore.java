package io.anchormq.broker.session;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Keeps session state in memory only: sessions survive reconnects, not a broker restart. */
public final class InMemorySessionStore implements SessionStore {

    private final ConcurrentHashMap<String, SessionState> sessions = new ConcurrentHashMap<>();

    @Override
    public SessionState open(String clientId) {
        return sessions.computeIfAbsent(clientId, SessionState::new);
    }

    @Override
    public void changed(SessionState state) {
        // the state object is the stored copy: nothing to write
    }

    @Override
    public void discard(String clientId) {
        sessions.remove(clientId);
    }

    @Override
    public Collection<String> clientIds() {
        return List.copyOf(sessions.keySet());
    }
}
