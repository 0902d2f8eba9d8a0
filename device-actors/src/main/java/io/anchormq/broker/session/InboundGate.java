package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.routing.Subscriber;
import io.anchormq.broker.routing.SubscriptionFence;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Lets a connection's packets through to the session in order, except that a PUBLISH waits (and everything after it
 * with it) while a SUBSCRIBE read before it is not registered yet ({@link SubscriptionFence}), or while subscribers
 * of this session's messages are congested (back-pressure: reading the socket pauses meanwhile). The
 * acknowledgements of messages sent to this client (PUBACK, PUBREC, PUBCOMP) never wait: they are what lets
 * deliveries to it go on. Owned by the session actor.
 */
final class InboundGate {

    private static final String FENCE_TIMER = "fence";
    private static final String BACK_PRESSURE_TIMER = "back-pressure";
    private static final String RATE_TIMER = "rate-quota";
    /** In case the fence's wake-up is lost: the fence gives up on a ticket after a short while anyway. */
    private static final Duration FENCE_POLL = Duration.ofMillis(110);
    /**
     * A publisher waits at most this long for congested subscribers. Back-pressure smooths bursts; a subscriber that
     * stays behind must not stop publishers for ever (a client blocked writing may be the one not reading).
     */
    private static final Duration MAX_BACK_PRESSURE = Duration.ofSeconds(1);

    private final ActorRef<SessionActor.Command> self;
    private final Handle handle;
    private final TimerScheduler<SessionActor.Command> timers;
    private final SubscriptionFence fence;
    private final BrokerMetrics metrics;
    // the next two start small and grow as needed: every session has them (100,000 restored at once), and most
    // never hold a packet or wait for anyone
    /** Packets held back, in order, until the PUBLISH at their head may be routed. */
    private final ArrayDeque<SessionActor.Inbound> held = new ArrayDeque<>(2);
    /** Congested subscribers this session's publisher waits for, reading paused; identity set. */
    private final Set<Subscriber> waitingForSubscribers = Collections.newSetFromMap(new IdentityHashMap<>(4));
    private boolean awaitingFence;
    /** The workspace's inbound rate is overdrawn: publishes wait (reading paused) until it has refilled. */
    private boolean rateHeld;

    InboundGate(ActorRef<SessionActor.Command> self, Handle handle, TimerScheduler<SessionActor.Command> timers,
                SessionRuntime rt) {
        this.self = self;
        this.handle = handle;
        this.timers = timers;
        this.fence = rt.fence();
        this.metrics = rt.metrics();
    }

    /** Processes a packet now, or holds it behind what waits already. */
    void accept(SessionActor.Inbound in, Consumer<SessionActor.Inbound> process) {
        boolean ackOfOutbound = in.packet() instanceof InboundPacket.Ack ack && ack.isOfOutbound();
        if ((held.isEmpty() && !mustWait(in.packet())) || ackOfOutbound) {
            process.accept(in);
            return;
        }
        held.add(in);
        release(process);
    }

    private boolean mustWait(InboundPacket packet) {
        return packet instanceof InboundPacket.Publish p
                && (rateHeld || !waitingForSubscribers.isEmpty() || !fence.isClear(p.fencePosition()));
    }

    /** Processes held packets in order as far as nothing stops them (again). */
    void release(Consumer<SessionActor.Inbound> process) {
        while (!held.isEmpty()) {
            SessionActor.Inbound next = held.peek();
            if (next.packet() instanceof InboundPacket.Publish p) {
                if (rateHeld || !waitingForSubscribers.isEmpty()) {
                    return; // a SubscriberUncongested, BackPressureElapsed or RateQuotaElapsed calls back
                }
                if (!fence.isClear(p.fencePosition())) {
                    awaitFence(p);
                    return;
                }
            }
            held.poll();
            process.accept(next);
        }
    }

    private void awaitFence(InboundPacket.Publish first) {
        if (awaitingFence) {
            return;
        }
        awaitingFence = true;
        fence.awaitClear(first.fencePosition(), () -> self.tell(new SessionActor.FenceCleared()));
        timers.startSingleTimer(FENCE_TIMER, new SessionActor.FenceCleared(), FENCE_POLL);
    }

    void onFenceCleared(Consumer<SessionActor.Inbound> process) {
        awaitingFence = false;
        timers.cancel(FENCE_TIMER);
        release(process);
    }

    /** This session's last publish went to subscribers whose queues are full: stop reading until they drain. */
    void pauseFor(List<Subscriber> congested, ClientConnection connection) {
        boolean wasWaiting = !waitingForSubscribers.isEmpty();
        for (Subscriber s : congested) {
            if (s != handle && waitingForSubscribers.add(s)) {
                s.whenUncongested(() -> self.tell(new SessionActor.SubscriberUncongested(s)));
            }
        }
        if (!wasWaiting && !waitingForSubscribers.isEmpty()) {
            metrics.backPressurePauses.increment();
            connection.holdReading(ClientConnection.ReadHold.CONGESTED_SUBSCRIBERS, true);
            timers.startSingleTimer(BACK_PRESSURE_TIMER, new SessionActor.BackPressureElapsed(), MAX_BACK_PRESSURE);
        }
    }

    void onSubscriberUncongested(Subscriber s, ClientConnection connection, Consumer<SessionActor.Inbound> process) {
        if (waitingForSubscribers.remove(s) && waitingForSubscribers.isEmpty()) {
            resumeReading(connection, process);
        }
    }

    void onBackPressureElapsed(ClientConnection connection, Consumer<SessionActor.Inbound> process) {
        if (!waitingForSubscribers.isEmpty()) {
            metrics.backPressureTimeouts.increment();
            waitingForSubscribers.clear(); // their wake-ups, when they come, find nothing to release
            resumeReading(connection, process);
        }
    }

    private void resumeReading(ClientConnection connection, Consumer<SessionActor.Inbound> process) {
        timers.cancel(BACK_PRESSURE_TIMER);
        connection.holdReading(ClientConnection.ReadHold.CONGESTED_SUBSCRIBERS, false);
        release(process);
    }

    /**
     * The last publish overdrew the workspace's inbound rate: publishes read after it wait, and the socket is not
     * read, for {@code millis} (what the overdraft takes to refill).
     */
    void pauseForRate(ClientConnection connection, long millis) {
        if (!rateHeld) {
            rateHeld = true;
            connection.holdReading(ClientConnection.ReadHold.RATE_QUOTA, true);
        }
        timers.startSingleTimer(RATE_TIMER, new SessionActor.RateQuotaElapsed(), Duration.ofMillis(millis));
    }

    void onRateQuotaElapsed(ClientConnection connection, Consumer<SessionActor.Inbound> process) {
        if (rateHeld) {
            rateHeld = false;
            connection.holdReading(ClientConnection.ReadHold.RATE_QUOTA, false);
            release(process);
        }
    }

    /**
     * The connection ended: nobody waits for subscribers any more, and its held packets are handed to {@code drop}
     * (acknowledged nowhere, only counted off) as far as the fence lets them go.
     */
    void connectionEnded(Consumer<SessionActor.Inbound> drop) {
        waitingForSubscribers.clear();
        timers.cancel(BACK_PRESSURE_TIMER);
        rateHeld = false;
        timers.cancel(RATE_TIMER);
        release(drop);
    }
}
