package io.anchormq.anchoring.log;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Counts the appends sent to an {@link AnchoringActor} and not completed yet: those in its mailbox, in its open
 * batch and in the batch being written. The actor cannot count its own mailbox, so the count is taken here, on the
 * sender's side, for every append sent through {@link #send}. Thread-safe; one per actor (or one for several, to
 * count them together).
 */
public final class AppendBacklog {

    private final AtomicInteger size = new AtomicInteger();

    /** Sends {@code record} to {@code actor}, counted until the returned future completes. */
    public CompletableFuture<Appended> send(ActorRef<AnchoringActor.Command> actor, LogRecord record) {
        CompletableFuture<Appended> done = new CompletableFuture<>();
        size.incrementAndGet();
        done.whenComplete((appended, failure) -> size.decrementAndGet());
        actor.tell(new AnchoringActor.Append(record, done));
        return done;
    }

    /** Appends sent and not completed (logged or failed) yet. */
    public int size() {
        return size.get();
    }
}
