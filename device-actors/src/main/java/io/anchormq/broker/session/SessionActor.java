package io.anchormq.broker.session;

import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.events.BrokerEvent;
import io.anchormq.broker.integrity.LogReceipt;
import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.routing.Subscriber;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.time.Instant;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The session of one client id, alive from its first CONNECT until the session ends (clean start, expiry). It owns
 * the subscriptions, the QoS 1/2 flows in both directions, the inflight window, the offline queue and the will;
 * network connections come and go underneath it. The actor itself keeps the lifecycle (attach, takeover, detach,
 * will delay, expiry, end) and dispatches to the flows it owns: {@link InboundPublishes} and
 * {@link PublishLogging} for what the client publishes, {@link SubscriptionRequests}, {@link OutboundFlow} for what
 * it receives, all behind the {@link InboundGate}. Offline and connected are its two behaviours.
 */
public final class SessionActor {

    public sealed interface Command {
    }

    /** The directory hands this session a connection whose CONNECT was accepted. */
    record Attach(ConnectRequest request, long sessionVersion, long epoch) implements Command {
    }

    /** A packet read from a connection. */
    public record Inbound(ClientConnection source, InboundPacket packet) implements Command {
    }

    public record ConnectionLost(ClientConnection source, String reason, boolean graceful) implements Command {
    }

    /** The connection can take more writes again. */
    public record Writable(ClientConnection source) implements Command {
    }

    /** A message routed to this session by some publisher. */
    record Deliver(Delivery delivery) implements Command {
    }

    /** The integrity log finished (or failed) an append of this session's. */
    record Logged(LoggedPublishes owner, LoggedPublishes.Entry entry, LogReceipt receipt, Throwable failure)
            implements Command {
    }

    /** The SUBSCRIBEs that fenced a PUBLISH of this session off may be registered now. */
    record FenceCleared() implements Command {
    }

    /** A subscriber this session's messages went to has room again. */
    record SubscriberUncongested(Subscriber subscriber) implements Command {
    }

    /** Waiting for congested subscribers took too long: read again, their queues' hard limit applies. */
    record BackPressureElapsed() implements Command {
    }

    /** The integrity log has room again after this session's publisher was held for it. */
    record LogCaughtUp() implements Command {
    }

    record WillDelayElapsed() implements Command {
    }

    record ExpiryElapsed() implements Command {
    }

    /** The directory agreed that this session ends. */
    record Stop() implements Command {
    }

    /** The workspace's inbound rate has refilled: the connection held back for it is read again. */
    record RateQuotaElapsed() implements Command {
    }

    /** The workspace's access rules changed: subscriptions they no longer allow are removed. */
    record RecheckAccess() implements Command {
    }

    /**
     * Every session read back at start has its subscriptions in the router again: wills and expiries that came
     * due while the broker was down may go out now, and reach every restored subscriber.
     */
    record RestoreComplete() implements Command {
    }

    private static final String EXPIRY_TIMER = "expiry";
    /** A confined anonymous client's session outlives its connection by a minute at most. */
    static final long CONFINED_MAX_SESSION_EXPIRY = 60;

    private final ActorContext<Command> context;
    private final DeadlineTimers timers;
    private final SessionRuntime rt;
    private final String clientId;
    private final ActorRef<SessionDirectory.Command> directory;
    private final Handle handle;
    private final InboundGate gate;
    private final SessionStore store;
    private final Consumer<Inbound> drop = this::drop;

    // session state: survives connections, kept in the session store; the flows below work on it
    private SessionState state;
    /** The state was discarded when the session ended; a new connection starts a fresh one. */
    private boolean discarded;
    private long epoch;
    private OutboundFlow outbound;
    private SubscriptionRequests subscriptions;
    private PublishLogging logging;
    private InboundPublishes publishes;
    private WillDelay willDelay;
    /** Read back from the store and waiting for {@link RestoreComplete} to resume its timers and wills. */
    private boolean restartPending;

    static Behavior<Command> create(SessionRuntime rt, String clientId, ActorRef<SessionDirectory.Command> directory) {
        // a failure while handling one message must not cost the session its state
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> Behaviors.<Command>withTimers(
                        timers -> new SessionActor(ctx, timers, rt, clientId, directory).restored())))
                .onFailure(SupervisorStrategy.resume());
    }

    private SessionActor(ActorContext<Command> context, TimerScheduler<Command> timers, SessionRuntime rt,
                         String clientId, ActorRef<SessionDirectory.Command> directory) {
        this.context = context;
        this.timers = new DeadlineTimers(timers);
        this.rt = rt;
        this.clientId = clientId;
        this.directory = directory;
        this.handle = new Handle(clientId, context.getSelf(), rt.queueBound());
        this.gate = new InboundGate(context.getSelf(), handle, timers, rt);
        this.store = rt.sessions();
        adopt(store.open(clientId));
        rt.liveActors().incrementAndGet();
    }

    /** From now on the session works on {@code s}: the flows are made anew over it. */
    private void adopt(SessionState s) {
        state = s;
        outbound = new OutboundFlow(s, handle, rt);
        subscriptions = new SubscriptionRequests(s, handle, outbound, rt);
        logging = new PublishLogging(s, context, subscriptions, rt);
        publishes = new InboundPublishes(s, logging, gate, rt);
        willDelay = new WillDelay(s, timers, publishes);
    }

    /**
     * A session read back from the store (after a restart) resumes its subscriptions at once, offline; its timers
     * and wills once every restored session has done so.
     */
    private Behavior<Command> restored() {
        if (!state.existed && state.connectedWill == null && state.pendingWill == null) {
            return offline(); // a new session, not one read back
        }
        subscriptions.restore();
        if (state.sessionExpiry > 0) {
            handle.journal(state.journal);
        }
        restartPending = true;
        rt.restart().restored();
        return offline();
    }

    /** Resumes a restored session's timers; a connection it had when the broker went down has ended then. */
    private void resumeAfterRestart() {
        restartPending = false;
        if (state.connected) {
            state.connected = false;
            state.dirty = true;
            SessionState.Will w = state.connectedWill;
            state.connectedWill = null;
            if (w != null) {
                willDelay.connectionEnded(w);
            }
            if (state.sessionExpiry == 0) {
                endSession();
                return;
            }
            state.expiryDueMillis = System.currentTimeMillis() + 1000 * state.sessionExpiry;
        }
        willDelay.restore();
        if (state.existed && state.sessionExpiry < BrokerSettings.SESSION_NEVER_EXPIRES) {
            timers.arm(EXPIRY_TIMER, new ExpiryElapsed(), state.expiryDueMillis);
        }
    }

    // ---- the two behaviours ----------------------------------------------------------------------------------

    // One case for every command rather than a case per command type: built per session, a case per type cost
    // each of 100,000 idle restored sessions 17 cases and their lambdas (about 900 bytes and 35 objects), all of
    // them copied by the collector while the broker starts.

    private Behavior<Command> offline() {
        return Behaviors.receive(Command.class)
                .onMessage(Command.class, this::whileOffline)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    private Behavior<Command> whileOffline(Command c) {
        if (c instanceof Deliver d) {
            outbound.onDeliverOffline(d.delivery());
            return saved();
        }
        if (c instanceof Attach a) {
            return onAttach(a);
        }
        if (c instanceof Inbound in) {
            gate.accept(in, drop); // a packet of a connection that is gone
            return Behaviors.same();
        }
        if (c instanceof Logged l) {
            logging.completed(l, outbound::offerOffline);
            return saved();
        }
        if (c instanceof FenceCleared) {
            gate.onFenceCleared(drop);
            return Behaviors.same();
        }
        if (c instanceof WillDelayElapsed) {
            return willDelay.onElapsed() ? saved() : Behaviors.same();
        }
        if (c instanceof ExpiryElapsed) {
            return onExpiryElapsed();
        }
        if (c instanceof Stop) {
            return onStop();
        }
        if (c instanceof RecheckAccess) {
            return onRecheckAccess();
        }
        if (c instanceof RestoreComplete) {
            if (restartPending) {
                resumeAfterRestart();
            }
            return saved();
        }
        // about a connection that is gone
        if (c instanceof RateQuotaElapsed || c instanceof ConnectionLost || c instanceof Writable
                || c instanceof SubscriberUncongested || c instanceof BackPressureElapsed || c instanceof LogCaughtUp) {
            return Behaviors.same();
        }
        return Behaviors.unhandled();
    }

    private Behavior<Command> connected(ConnectedClient client) {
        Consumer<Inbound> process = in -> process(in, client);
        Consumer<Delivery> offer = d -> outbound.offer(d, client);
        return Behaviors.receive(Command.class)
                .onMessage(Command.class, c -> whileConnected(c, client, process, offer))
                // its workspace closed while the client was connected (it is being disconnected)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    private Behavior<Command> whileConnected(Command c, ConnectedClient client, Consumer<Inbound> process,
                                             Consumer<Delivery> offer) {
        if (c instanceof Inbound in) {
            return grouped(() -> {
                gate.accept(in, process);
                return afterPackets(client);
            });
        }
        if (c instanceof Deliver d) {
            return grouped(() -> {
                outbound.onDeliver(d.delivery(), client);
                client.connection.flush();
                return saved();
            });
        }
        if (c instanceof Logged l) {
            if (logging.completed(l, offer)) {
                logging.sendReadyAcks(client);
                client.connection.flush();
            }
            return saved();
        }
        if (c instanceof Writable w) {
            return grouped(() -> onWritable(w, client));
        }
        if (c instanceof ConnectionLost lost) {
            return onConnectionLost(lost, client);
        }
        if (c instanceof Attach a) {
            return onTakeover(a, client);
        }
        if (c instanceof FenceCleared) {
            gate.onFenceCleared(process);
            return afterPackets(client);
        }
        if (c instanceof SubscriberUncongested u) {
            gate.onSubscriberUncongested(u.subscriber(), client.connection, process);
            return afterPackets(client);
        }
        if (c instanceof BackPressureElapsed) {
            gate.onBackPressureElapsed(client.connection, process);
            return afterPackets(client);
        }
        if (c instanceof LogCaughtUp) {
            logging.onCaughtUp(client);
            return Behaviors.same();
        }
        if (c instanceof WillDelayElapsed) {
            return willDelay.onElapsed() ? saved() : Behaviors.same();
        }
        if (c instanceof RecheckAccess) {
            return onRecheckAccess();
        }
        if (c instanceof RateQuotaElapsed) {
            gate.onRateQuotaElapsed(client.connection, process);
            return afterPackets(client);
        }
        // the expiry timer was cancelled on attach, one that fired before finds the client back; a CONNECT overtook
        // the stop request (the directory only stops idle sessions, so that cannot happen); restored long ago
        if (c instanceof ExpiryElapsed || c instanceof Stop || c instanceof RestoreComplete) {
            return Behaviors.same();
        }
        return Behaviors.unhandled();
    }

    /**
     * Runs a handler so that the session's writes to the store (acknowledged deliveries gone, packet ids of the
     * ones sent) are one batch, and its acknowledgements wait for that.
     */
    @SuppressWarnings("unchecked")
    private Behavior<Command> grouped(java.util.function.Supplier<Behavior<Command>> handler) {
        Object[] next = new Object[1];
        store.inGroup(() -> next[0] = handler.get());
        return (Behavior<Command>) next[0];
    }

    private Behavior<Command> onPostStop(PostStop stopped) {
        rt.liveActors().decrementAndGet();
        return Behaviors.same();
    }

    /** After packets were processed: their replies flushed, and offline if one of them ended the connection. */
    private Behavior<Command> afterPackets(ConnectedClient client) {
        if (client.detached) {
            return savedAnd(offline());
        }
        client.connection.flush();
        return saved();
    }

    // ---- connection lifecycle --------------------------------------------------------------------------------

    private Behavior<Command> onAttach(Attach a) {
        ConnectRequest request = a.request();
        if (restartPending) {
            resumeAfterRestart(); // back before the others were restored: its old connection ended all the same
        }
        // MQTT-3.1.3-9: a new connection before the will delay has passed cancels the will
        willDelay.cancel();
        timers.cancel(EXPIRY_TIMER);
        epoch = a.epoch();
        if (discarded) {
            adopt(store.open(clientId));
            discarded = false;
        }
        boolean cleanStart = request.connect().variableHeader().isCleanSession();
        boolean sessionPresent = !cleanStart && state.existed;
        if (cleanStart && state.existed) {
            endSessionState();
        }
        state.existed = true;
        state.identity = request.identity();

        ConnectedClient client = ConnectedClient.of(request, a.sessionVersion(), rt.settings());
        state.sessionExpiry = Math.min(client.requestedSessionExpiry, state.identity.isConfined()
                ? CONFINED_MAX_SESSION_EXPIRY : rt.settings().maxSessionExpiryInterval());
        // a session that outlives its connection has its deliveries stored; a confined one keeps nothing
        handle.journal(state.sessionExpiry > 0 && !state.identity.isConfined() ? state.journal : SessionJournal.NONE);
        state.connected = true;
        state.connectedWill = client.will;
        state.dirty = true;
        handle.online(true);
        ClientConnection connection = client.connection;
        connection.send(client.connAck(request, sessionPresent, state.sessionExpiry, rt.settings()));
        connection.attached(context.getSelf());
        rt.events().publish(new BrokerEvent.Connected(clientId, client.sessionVersion, client.v5 ? "5.0" : "3.1.1",
                sessionPresent, request.generatedId(), connection.remoteAddress(), Instant.now()));
        outbound.resendInflight(client);
        outbound.drain(client);
        connection.flush();
        return savedAnd(connected(client));
    }

    private Behavior<Command> onTakeover(Attach a, ConnectedClient old) {
        detach(old, "session taken over", false, true);
        old.connection.disconnect(MqttReasonCodes.Disconnect.SESSION_TAKEN_OVER, "session taken over");
        return onAttach(a);
    }

    private Behavior<Command> onConnectionLost(ConnectionLost lost, ConnectedClient client) {
        if (lost.source() != client.connection) {
            return Behaviors.same(); // an earlier connection's
        }
        detach(client, lost.reason(), lost.graceful(), false);
        return savedAnd(offline());
    }

    private Behavior<Command> onWritable(Writable w, ConnectedClient client) {
        if (w.source() == client.connection) {
            outbound.drain(client);
            client.connection.flush();
        }
        return saved();
    }

    /**
     * Lets go of the client's connection. The will is published (or scheduled) unless the client removed it with a
     * normal DISCONNECT.
     *
     * @param sessionContinues true on takeover: a new connection carries the session on at once
     */
    private void detach(ConnectedClient client, String reason, boolean graceful, boolean sessionContinues) {
        client.detached = true;
        state.connected = false;
        state.connectedWill = null;
        state.dirty = true;
        handle.online(false);
        outbound.clientGone();
        gate.connectionEnded(drop);
        logging.connectionEnded();
        rt.events().publish(new BrokerEvent.Disconnected(clientId, client.sessionVersion, reason, graceful,
                Instant.now()));
        SessionState.Will w = client.will;
        client.will = null;
        if (w != null) {
            willDelay.connectionEnded(w);
        }
        if (sessionContinues) {
            return;
        }
        outbound.redispatchShared(true);
        if (state.sessionExpiry == 0) {
            endSession();
        } else if (state.sessionExpiry < BrokerSettings.SESSION_NEVER_EXPIRES) {
            state.expiryDueMillis = System.currentTimeMillis() + 1000 * state.sessionExpiry;
            timers.arm(EXPIRY_TIMER, new ExpiryElapsed(), state.expiryDueMillis);
        }
    }

    private Behavior<Command> onRecheckAccess() {
        if (subscriptions.recheckAccess() == 0) {
            return Behaviors.same();
        }
        state.dirty = true;
        return saved();
    }

    private Behavior<Command> onExpiryElapsed() {
        if (!timers.rearmIfEarly(EXPIRY_TIMER, new ExpiryElapsed(), state.expiryDueMillis)) {
            endSession();
        }
        return Behaviors.same();
    }

    /** Ends the session: state goes, and the directory is asked to let this actor stop. */
    private void endSession() {
        endSessionState();
        store.discard(clientId);
        handle.journal(SessionJournal.NONE);
        // until the directory lets this actor stop, whatever still arrives goes to a state nobody keeps
        adopt(new SessionState(clientId));
        discarded = true;
        directory.tell(new SessionDirectory.RequestStop(clientId, context.getSelf(), epoch));
    }

    /** Clean start or the session's end: subscriptions, queues and flows go; a will still waiting goes out. */
    private void endSessionState() {
        subscriptions.removeAll();
        outbound.redispatchShared(false);
        timers.cancel(EXPIRY_TIMER);
        // MQTT-3.1.3-9: the will goes out when the session ends, whichever comes first
        willDelay.publishNow();
        state.clear();
    }

    private Behavior<Command> onStop() {
        willDelay.publishNow();
        return Behaviors.stopped();
    }

    /** Hands the (possibly) altered state to the store; a durable store writes it now. */
    private Behavior<Command> saved() {
        return savedAnd(Behaviors.same());
    }

    private Behavior<Command> savedAnd(Behavior<Command> next) {
        if (!discarded) {
            store.changed(state);
        }
        return next;
    }

    // ---- inbound packets -------------------------------------------------------------------------------------

    /** Handles a packet the gate let through, if it is of the attached connection and that is not closing. */
    private void process(Inbound in, ConnectedClient client) {
        ClientConnection source = in.source();
        if (client.detached || source != client.connection || source.isClosing()) {
            drop(in);
            return;
        }
        source.processed();
        InboundPacket packet = in.packet();
        try {
            if (packet instanceof InboundPacket.Publish p) {
                publishes.onPublish(p, client);
            } else if (packet instanceof InboundPacket.Ack ack) {
                onAck(ack, client);
            } else if (packet instanceof InboundPacket.Subscribe s) {
                state.dirty = true;
                try {
                    subscriptions.onSubscribe(s.message(), client);
                } finally {
                    rt.fence().subscribeDone(s.ticket());
                }
            } else if (packet instanceof InboundPacket.Unsubscribe u) {
                state.dirty = true;
                subscriptions.onUnsubscribe(u, client);
            } else if (packet instanceof InboundPacket.Disconnect d) {
                onDisconnect(d, client);
            } else if (packet instanceof InboundPacket.Unexpected u) {
                client.protocolError(rt.metrics(), MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "unexpected " + u.type());
            }
        } catch (RuntimeException e) {
            // a bug must cost this one connection, never the session state or other sessions
            context.getLog().error("session {} failed on a packet", clientId, e);
            if (!client.detached) {
                source.disconnect(MqttReasonCodes.Disconnect.IMPLEMENTATION_SPECIFIC_ERROR, "internal error");
            }
        }
    }

    /** A packet of a connection that is gone or going: not answered, only counted off. */
    private void drop(Inbound in) {
        in.source().processed();
        if (in.packet() instanceof InboundPacket.Subscribe s) {
            rt.fence().subscribeDone(s.ticket());
        }
    }

    private void onAck(InboundPacket.Ack ack, ConnectedClient client) {
        switch (ack.type()) {
            case PUBACK -> outbound.onPubAck(ack.packetId(), client);
            case PUBREC -> outbound.onPubRec(ack.packetId(), ack.reasonCode(), client);
            case PUBCOMP -> outbound.onPubComp(ack.packetId(), client);
            case PUBREL -> publishes.onPubRel(ack.packetId(), client);
            default -> throw new IllegalArgumentException("not an acknowledgement: " + ack.type());
        }
    }

    private void onDisconnect(InboundPacket.Disconnect d, ConnectedClient client) {
        int reason = d.reasonCode();
        if (client.v5 && d.sessionExpiry() != -1) {
            if (state.sessionExpiry == 0 && d.sessionExpiry() != 0) {
                // MQTT-3.14.2-2: a session that was to end at disconnect cannot be revived here
                client.protocolError(rt.metrics(), MqttReasonCodes.Disconnect.PROTOCOL_ERROR,
                        "session expiry set after connecting with 0");
                return;
            }
            state.sessionExpiry = Math.min(d.sessionExpiry(), rt.settings().maxSessionExpiryInterval());
            if (state.sessionExpiry == 0) {
                handle.journal(SessionJournal.NONE);
            }
        }
        if (!(client.v5 && reason == MqttReasonCodes.Disconnect.DISCONNECT_WITH_WILL_MESSAGE.byteValue())) {
            client.will = null; // MQTT-3.1.2-10: a normal DISCONNECT discards the will
            state.connectedWill = null;
        }
        state.dirty = true;
        String why = reason == 0 ? "client disconnected" : "client disconnected with reason 0x"
                + Integer.toHexString(reason);
        // replies to the packets before this one go out before the connection closes
        client.connection.flush();
        // detached here, not when the socket closes: the client may close it before this packet is processed
        detach(client, why, true, false);
        client.connection.closeGracefully(why);
    }
}
