package io.anchormq.anchoring.log;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The way appends reach an {@link AnchoringActor}: senders put them in this inbox, and the actor is told only when
 * the first of a batch arrives (its age starts) and when a batch is full, so a steady stream of appends costs one
 * queue node each instead of a message each and a wake-up of the actor's thread each. It also counts the appends
 * sent and not completed yet: in the inbox, in the open batch and in the batch being written. With a limit it is the
 * log's back-pressure: senders see it {@link #isFull() full} and wait for {@link #whenRoomAgain room} instead of
 * growing the backlog without bound. Thread-safe; for one actor, which is created with it.
 */
public final class AppendBacklog {

    private final WorkspaceLog log;
    private final int limit;
    private final AtomicInteger size = new AtomicInteger();
    private final ConcurrentLinkedQueue<AnchoringActor.Append> inbox = new ConcurrentLinkedQueue<>();
    /** Appends in the inbox (or about to be), not taken by the actor yet. */
    private final AtomicInteger queued = new AtomicInteger();
    /** The actor's batch size: the sender that fills a batch tells it. */
    private volatile int signalAt = Integer.MAX_VALUE;
    private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    /** Appends to the actor that writes {@code log}, without a limit. */
    public AppendBacklog(WorkspaceLog log) {
        this(log, Integer.MAX_VALUE);
    }

    /**
     * @param log the log the actor writes: a record that cannot be one of its entries fails at once
     * @param limit outstanding appends from which the backlog is full; room comes back at half of it
     */
    public AppendBacklog(WorkspaceLog log, int limit) {
        if (limit < 2) {
            throw new IllegalArgumentException("a backlog limit below 2 leaves no room: " + limit);
        }
        this.log = Objects.requireNonNull(log, "log");
        this.limit = limit;
    }

    /**
     * Sends {@code record} to {@code actor}, counted until {@code listener} has heard how it ended. A record that
     * cannot be an entry (invalid Unicode, over 65535 bytes encoded) fails here, on the caller's thread, alone.
     */
    public void send(ActorRef<AnchoringActor.Command> actor, LogRecord record, AppendListener listener) {
        Objects.requireNonNull(listener, "listener");
        try {
            log.check(record);
        } catch (IllegalArgumentException e) {
            listener.failed(e);
            return;
        }
        size.incrementAndGet();
        // counted before it is queued, so the count is never below what the inbox holds: the actor keeps a batch
        // timer running while it is above zero, and no append can sit in the inbox unseen
        int waiting = queued.incrementAndGet();
        inbox.add(new AnchoringActor.Append(record, listener, this));
        if (waiting == 1 || waiting == signalAt) {
            actor.tell(new AnchoringActor.Arrived());
        }
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

    /** The actor takes the next append, or null. */
    AnchoringActor.Append poll() {
        AnchoringActor.Append next = inbox.poll();
        if (next != null) {
            queued.decrementAndGet();
        }
        return next;
    }

    WorkspaceLog log() {
        return log;
    }

    int queued() {
        return queued.get();
    }

    /** The actor's batch size: the append that makes the inbox hold that many tells it. */
    void signalAt(int batchSize) {
        signalAt = batchSize;
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
