package io.anchormq.anchoring.log;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Counts the appends sent to an {@link AnchoringActor} and not completed yet: those in its mailbox, in its open
 * batch and in the batch being written. The actor cannot count its own mailbox, so the count is taken here, on the
 * sender's side, for every append sent through {@link #send}. With a limit it is also the log's back-pressure:
 * senders see it {@link #isFull() full} and wait for {@link #whenRoomAgain room} instead of growing the backlog
 * without bound. Thread-safe; one per actor (or one for several, to count them together).
 */
public final class AppendBacklog {

    private final int limit;
    private final AtomicInteger size = new AtomicInteger();
    private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    /** A backlog that only counts. */
    public AppendBacklog() {
        this(Integer.MAX_VALUE);
    }

    /** @param limit outstanding appends from which the backlog is full; room comes back at half of it */
    public AppendBacklog(int limit) {
        if (limit < 2) {
            throw new IllegalArgumentException("a backlog limit below 2 leaves no room: " + limit);
        }
        this.limit = limit;
    }

    /** Sends {@code record} to {@code actor}, counted until {@code listener} has heard how it ended. */
    public void send(ActorRef<AnchoringActor.Command> actor, LogRecord record, AppendListener listener) {
        size.incrementAndGet();
        actor.tell(new AnchoringActor.Append(record, listener, this));
    }

    /** As {@link #send(ActorRef, LogRecord, AppendListener)}, the outcome as a future. */
    public CompletableFuture<Appended> send(ActorRef<AnchoringActor.Command> actor, LogRecord record) {
        CompletableFuture<Appended> done = new CompletableFuture<>();
        send(actor, record, new AppendListener() {
            @Override
            public void appended(Appended appended) {
                done.complete(appended);
            }

            @Override
            public void failed(Throwable failure) {
                done.completeExceptionally(failure);
            }
        });
        return done;
    }

    /** Appends sent and not completed (logged or failed) yet. */
    public int size() {
        return size.get();
    }

    /** Whether senders should wait: the limit is reached. */
    public boolean isFull() {
        return size.get() >= limit;
    }

    /** Runs {@code wake} once (on some thread) when the backlog is down to half its limit, at once if it is. */
    public void whenRoomAgain(Runnable wake) {
        waiting.add(wake);
        if (size.get() <= limit / 2) {
            wakeWaiting(); // it drained before the waiter was added
        }
    }

    /** An append counted here has ended. */
    void completed() {
        if (size.decrementAndGet() <= limit / 2 && !waiting.isEmpty()) {
            wakeWaiting();
        }
    }

    private void wakeWaiting() {
        for (Runnable wake; (wake = waiting.poll()) != null; ) {
            wake.run();
        }
    }
}
