package io.anchormq.broker.routing;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Orders SUBSCRIBEs before later PUBLISHes across connections. Sessions run in parallel, so a subscription read
 * from one socket could otherwise be registered after a message that another socket delivered later, and the
 * subscriber would miss a message published after its SUBSCRIBE reached the broker (a single-threaded broker never
 * does that, and clients rely on it). A SUBSCRIBE takes a ticket when it is read; a PUBLISH notes the position when it
 * is read and is routed only once every SUBSCRIBE ticketed before it has been registered, or has waited
 * {@link #MAX_WAIT_NANOS} (so a stuck subscriber cannot stall publishers; such give-ups are counted).
 */
public final class SubscriptionFence {

    /** Long enough for a garbage-collection pause, short enough that a backlogged subscriber cannot stall others. */
    static final long MAX_WAIT_NANOS = 100_000_000L;

    private record Waiter(long position, Runnable wake) {
    }

    private final AtomicLong clock = new AtomicLong();
    /** Ticket → when it was taken (on {@link #nanoClock}). */
    private final ConcurrentSkipListMap<Long, Long> pending = new ConcurrentSkipListMap<>();
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final LongAdder expired = new LongAdder();
    private final LongSupplier nanoClock;

    public SubscriptionFence() {
        this(System::nanoTime);
    }

    /** With another clock, so tests need not sleep through the maximum wait (and a pause cannot fail them). */
    SubscriptionFence(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** A SUBSCRIBE was read: its ticket, to hand back to {@link #subscribeDone} once it is registered. */
    public long subscribeArrived() {
        long ticket = clock.incrementAndGet();
        pending.put(ticket, nanoClock.getAsLong());
        return ticket;
    }

    /** The position of a PUBLISH read now. */
    public long position() {
        return clock.get();
    }

    public void subscribeDone(long ticket) {
        if (pending.remove(ticket) != null && !waiters.isEmpty()) {
            wakeWaiters();
        }
    }

    /** Whether a PUBLISH read at {@code position} may be routed now. */
    public boolean isClear(long position) {
        if (pending.isEmpty()) {
            return true;
        }
        long now = nanoClock.getAsLong();
        for (Map.Entry<Long, Long> e : pending.headMap(position, true).entrySet()) {
            if (now - e.getValue() < MAX_WAIT_NANOS) {
                return false;
            }
            if (pending.remove(e.getKey(), e.getValue())) {
                expired.increment();
            }
        }
        return true;
    }

    /** Runs {@code wake} (once, on some thread) when {@code position} is clear; a caller should also poll later. */
    public void awaitClear(long position, Runnable wake) {
        waiters.add(new Waiter(position, wake));
        // a subscribeDone() that ran before the waiter was added would not have seen it
        wakeWaiters();
    }

    /** Tickets given up on after {@link #MAX_WAIT_NANOS}. */
    public long expiredTickets() {
        return expired.sum();
    }

    private void wakeWaiters() {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (isClear(w.position()) && waiters.remove(w)) {
                w.wake().run();
            }
        }
    }
}
