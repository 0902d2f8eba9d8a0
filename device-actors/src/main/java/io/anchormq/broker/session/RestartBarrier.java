package io.anchormq.broker.session;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the sessions read back at start until each has put its subscriptions into the router again, then
 * completes {@link #done()}: what waits for it (wills that came due while the broker was down, the listeners) must
 * reach every restored subscriber, whichever session actor happens to run first.
 */
final class RestartBarrier {

    private final AtomicInteger pending;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    RestartBarrier(int restoredSessions) {
        this.pending = new AtomicInteger(restoredSessions);
        if (restoredSessions <= 0) {
            done.complete(null);
        }
    }

    /** A restored session has its subscriptions in the router. */
    void restored() {
        if (pending.decrementAndGet() == 0) {
            done.complete(null);
        }
    }

    /** Restored sessions that have not yet put their subscriptions into the router. */
    int pending() {
        return Math.max(0, pending.get());
    }

    /** Completes when every restored session is back: at once if there were none. */
    CompletableFuture<Void> done() {
        return done;
    }
}
