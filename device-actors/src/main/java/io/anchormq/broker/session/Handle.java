package io.anchormq.broker.session;

import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.routing.Subscriber;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How the router reaches a session: a direct {@code tell}, no intermediary. It also tells publishers whether the
 * session is congested, from counts the session keeps up to date (back-pressure).
 */
final class Handle implements Subscriber {

    private final String clientId;
    private final ActorRef<SessionActor.Command> ref;
    private final int limit;
    private volatile boolean online;
    /** Where deliveries to this session are stored before it is told of them: set while it outlives connections. */
    private volatile SessionJournal journal = SessionJournal.NONE;
    /**
     * Deliveries not yet taken from the mailbox count as queued: a burst of publishers can route thousands of
     * messages before the session's actor has run once.
     */
    private final AtomicInteger inMailbox = new AtomicInteger();
    private volatile int queued;
    private final ConcurrentLinkedQueue<Runnable> uncongestedWaiters = new ConcurrentLinkedQueue<>();
    /**
     * Set after a waiter is added, cleared before they are woken: what {@link #queued} reads on every ack instead
     * of the queue's head (a cache miss per ack, 2 % of the event loop at max rate). A waiter added while they are
     * woken either is taken by that wake or leaves the flag set for the next.
     */
    private volatile boolean waitersPresent;

    /** @param limit queued messages from which the session counts as congested */
    Handle(String clientId, ActorRef<SessionActor.Command> ref, int limit) {
        this.clientId = clientId;
        this.ref = ref;
        this.limit = limit;
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public boolean isOnline() {
        return online;
    }

    void online(boolean isOnline) {
        online = isOnline;
    }

    void journal(SessionJournal j) {
        journal = j;
    }

    @Override
    public void deliver(Delivery delivery) {
        inMailbox.incrementAndGet();
        SessionJournal j = journal;
        if (j == SessionJournal.NONE || delivery.qos() == 0) {
            ref.tell(new SessionActor.Deliver(delivery));
        } else {
            // stored first, by the publisher: it acknowledges only once its deliveries are durable
            j.store(delivery, stored -> ref.tell(new SessionActor.Deliver(stored)));
        }
    }

    @Override
    public boolean isCongested() {
        return online && inMailbox.get() + queued >= limit;
    }

    @Override
    public void whenUncongested(Runnable wake) {
        uncongestedWaiters.add(wake);
        waitersPresent = true;
        if (!isCongested()) {
            wakeWaiters(); // it cleared before the waiter was added
        }
    }

    /** The actor took a delivery from its mailbox. */
    void taken() {
        inMailbox.decrementAndGet();
    }

    /** The session's queue holds {@code size} messages now; waiting publishers go on once half of it is gone. */
    void queued(int size) {
        queued = size;
        if (waitersPresent && (!online || inMailbox.get() + size <= limit / 2)) {
            wakeWaiters();
        }
    }

    private void wakeWaiters() {
        waitersPresent = false;
        for (Runnable wake; (wake = uncongestedWaiters.poll()) != null; ) {
            wake.run();
        }
    }
}
