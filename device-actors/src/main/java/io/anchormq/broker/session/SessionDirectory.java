package io.anchormq.broker.session;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Finds or creates the session actor of a client id. Only CONNECTs and session ends pass through here, never
 * PUBLISHes. A session that wants to end asks first ({@link RequestStop}); the request is granted only if no
 * CONNECT was forwarded to it since it last saw one, so a reconnect can never be lost to a stopping actor.
 */
final class SessionDirectory extends AbstractBehavior<SessionDirectory.Command> {

    sealed interface Command permits ConnectRequest, RequestStop, SessionTerminated, TellAll, TellRest, Close {
    }

    private static final int TELL_ALL_CHUNK = 1000;

    /** The workspace closed: this shard stops, and its sessions with it (their state is not kept). */
    record Close() implements Command {
    }

    /** Tells every session of this shard. */
    record TellAll(SessionActor.Command command) implements Command {
    }

    record RequestStop(String clientId, ActorRef<SessionActor.Command> session, long epoch) implements Command {
    }

    /** The sessions of a {@link TellAll} not told yet, from index {@code from} on. */
    private record TellRest(SessionActor.Command command, List<Entry> targets, int from) implements Command {
    }

    private record SessionTerminated(String clientId, ActorRef<SessionActor.Command> session) implements Command {
    }

    private static final class Entry {
        final ActorRef<SessionActor.Command> ref;
        long epoch;

        Entry(ActorRef<SessionActor.Command> ref) {
            this.ref = ref;
        }
    }

    private final SessionRuntime runtime;
    private final AtomicInteger sessionCount;
    private final Map<String, Entry> sessions = new HashMap<>();
    /** Seeded from the clock so that session versions keep increasing across broker restarts. */
    private long sessionVersion = System.currentTimeMillis() * 1000;
    private long spawned;

    /** @param owns which client ids this shard of the directory holds (their stored sessions it restores) */
    static Behavior<Command> create(SessionRuntime runtime, AtomicInteger sessionCount, Predicate<String> owns) {
        return Behaviors.setup(ctx -> new SessionDirectory(ctx, runtime, sessionCount, owns));
    }

    private SessionDirectory(ActorContext<Command> context, SessionRuntime runtime, AtomicInteger sessionCount,
                             Predicate<String> owns) {
        super(context);
        this.runtime = runtime;
        this.sessionCount = sessionCount;
        runtime.liveActors().incrementAndGet();
        // sessions kept by a durable store come back offline, with their subscriptions, until clients reconnect
        for (String clientId : runtime.sessions().clientIds()) {
            if (owns.test(clientId)) {
                spawn(clientId);
            }
        }
    }

    private Entry spawn(String clientId) {
        ActorRef<SessionActor.Command> ref = getContext().spawn(
                SessionActor.create(runtime, clientId, getContext().getSelf()), "session-" + (++spawned),
                DispatcherSelector.sameAsParent());
        getContext().watchWith(ref, new SessionTerminated(clientId, ref));
        Entry entry = new Entry(ref);
        sessions.put(clientId, entry);
        sessionCount.incrementAndGet();
        return entry;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(ConnectRequest.class, this::onConnect)
                .onMessage(RequestStop.class, this::onRequestStop)
                .onMessage(SessionTerminated.class, this::onSessionTerminated)
                .onMessage(TellAll.class, this::onTellAll)
                .onMessage(TellRest.class, this::onTellRest)
                .onMessage(Close.class, c -> Behaviors.stopped())
                .onSignal(PostStop.class, s -> {
                    // the sessions stopped before this (children first): none of them is counted any more
                    sessionCount.addAndGet(-sessions.size());
                    sessions.clear();
                    runtime.liveActors().decrementAndGet();
                    return this;
                })
                .build();
    }

    private Behavior<Command> onConnect(ConnectRequest c) {
        Entry entry = sessions.get(c.clientId());
        if (entry == null) {
            entry = spawn(c.clientId());
        }
        entry.epoch++;
        entry.ref.tell(new SessionActor.Attach(c, ++sessionVersion, entry.epoch));
        return Behaviors.same();
    }

    /** A session actor that stopped without being asked to (it should not) must not keep its client id. */
    private Behavior<Command> onSessionTerminated(SessionTerminated t) {
        Entry entry = sessions.get(t.clientId());
        if (entry != null && entry.ref.equals(t.session())) {
            sessions.remove(t.clientId());
            sessionCount.decrementAndGet();
        }
        return Behaviors.same();
    }

    private Behavior<Command> onRequestStop(RequestStop r) {
        Entry entry = sessions.get(r.clientId());
        if (entry != null && entry.ref.equals(r.session()) && entry.epoch == r.epoch()) {
            sessions.remove(r.clientId());
            sessionCount.decrementAndGet();
            r.session().tell(new SessionActor.Stop());
        }
        return Behaviors.same();
    }

    /**
     * Tells every session, {@value #TELL_ALL_CHUNK} at a time: each tell schedules a session on the event loops,
     * and what the loops were asked meanwhile (a CONNECT, a listener's bind) should not wait behind 100,000 of them.
     */
    private Behavior<Command> onTellAll(TellAll t) {
        tellFrom(new TellRest(t.command(), new ArrayList<>(sessions.values()), 0));
        return this;
    }

    private Behavior<Command> onTellRest(TellRest r) {
        tellFrom(r);
        return this;
    }

    private void tellFrom(TellRest r) {
        int end = Math.min(r.targets().size(), r.from() + TELL_ALL_CHUNK);
        for (int i = r.from(); i < end; i++) {
            r.targets().get(i).ref.tell(r.command());
        }
        if (end < r.targets().size()) {
            getContext().getSelf().tell(new TellRest(r.command(), r.targets(), end));
        }
    }
}
