package io.anchormq.broker.session;

import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.events.BrokerEvent;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.integrity.LogReceipt;
import io.anchormq.broker.integrity.LoggedMessage;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.routing.Subscriber;
import io.anchormq.broker.routing.Subscription;
import io.anchormq.broker.routing.TopicFilter;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckPayload;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The session of one client id, alive from its first CONNECT until the session ends (clean start, expiry). It owns
 * the subscriptions, the QoS 1/2 flows in both directions, the inflight window, the offline queue and the will;
 * network connections come and go underneath it.
 */
public final class SessionActor extends AbstractBehavior<SessionActor.Command> {

    public sealed interface Command {
    }

    /** A connection whose CONNECT was accepted wants this session. */
    /**
     * @param assignedId the client id was made up by the broker and must be reported in CONNACK (5.0)
     * @param generatedId the client id was made up by the broker (either version)
     */
    record Attach(MqttConnection connection, MqttConnectMessage connect, String clientId, boolean assignedId,
                  boolean generatedId, int keepAlive, boolean keepAliveAdjusted, long sessionVersion, long epoch)
            implements Command {
    }

    /** A packet from a connection (a {@link PublishPacket} or a Netty {@link MqttMessage}). */
    record Inbound(MqttConnection source, Object packet) implements Command {
    }

    record ConnectionLost(MqttConnection source, String reason, boolean graceful) implements Command {
    }

    record Writable(MqttConnection source) implements Command {
    }

    /** A message routed to this session by some publisher. */
    record Deliver(Delivery delivery) implements Command {
    }

    private record WillDelayElapsed() implements Command {
    }

    /** A subscriber this session's messages went to has room again. */
    private record SubscriberUncongested(Subscriber subscriber) implements Command {
    }

    /** Waiting for congested subscribers took too long: read again, their queues' hard limit applies. */
    private record BackPressureElapsed() implements Command {
    }

    /** The SUBSCRIBEs that fenced a PUBLISH of this session off may be registered now. */
    private record FenceCleared() implements Command {
    }

    /** The integrity log finished (or failed) an append of this session's. */
    private record Logged(LoggedPublishes owner, LoggedPublishes.Entry entry, LogReceipt receipt, Throwable failure)
            implements Command {
    }

    private record ExpiryElapsed() implements Command {
    }

    /** The directory agreed that this session ends. */
    record Stop() implements Command {
    }

    /** Clients may not publish here: presence, metrics and receipts are the broker's word. */
    private static final String SYS_PREFIX = "$SYS/";
    private static final String WILL_TIMER = "will";
    private static final String FENCE_TIMER = "fence";
    private static final String BACK_PRESSURE_TIMER = "back-pressure";
    /**
     * A publisher waits at most this long for congested subscribers. Back-pressure smooths bursts; a subscriber that
     * stays behind must not stop publishers for ever (a client blocked writing may be the one not reading).
     */
    private static final Duration MAX_BACK_PRESSURE = Duration.ofSeconds(1);
    /**
     * While its client is online a congested session may queue this many times max-queued-messages: what its
     * publishers had read before they paused. Beyond that (and for offline sessions beyond max-queued-messages)
     * messages are dropped and counted.
     */
    private static final int ONLINE_QUEUE_FACTOR = 10;
    private static final String EXPIRY_TIMER = "expiry";
    private static final long NO_LIMIT = Long.MAX_VALUE;
    private static final long LONGEST_TIMER_MILLIS = Duration.ofDays(30).toMillis();

    /** How the router reaches this session: a direct {@code tell}, no intermediary. */
    private static final class Handle implements Subscriber {
        private final String clientId;
        private final ActorRef<Command> ref;
        private volatile boolean online;

        /** @param limit queued messages from which the session counts as congested */
        Handle(String clientId, ActorRef<Command> ref, int limit) {
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

        @Override
        public void deliver(Delivery delivery) {
            inMailbox.incrementAndGet();
            ref.tell(new Deliver(delivery));
        }

        // back-pressure. Deliveries not yet taken from the mailbox count as queued: a burst of publishers can route
        // thousands of messages before this session's actor has run once.
        private final AtomicInteger inMailbox = new AtomicInteger();
        private volatile int queued;
        private final int limit;
        private final ConcurrentLinkedQueue<Runnable> uncongestedWaiters = new ConcurrentLinkedQueue<>();

        @Override
        public boolean isCongested() {
            return online && inMailbox.get() + queued >= limit;
        }

        @Override
        public void whenUncongested(Runnable wake) {
            uncongestedWaiters.add(wake);
            if (!isCongested()) {
                wakeWaiters(); // it cleared before the waiter was added
            }
        }

        /** The actor took a delivery from its mailbox. */
        void taken() {
            inMailbox.decrementAndGet();
        }

        /** The actor's queue holds {@code size} messages now; waiting publishers go on once half of it is gone. */
        void queued(int size) {
            queued = size;
            if (!uncongestedWaiters.isEmpty() && (!online || inMailbox.get() + size <= limit / 2)) {
                wakeWaiters();
            }
        }

        private void wakeWaiters() {
            for (Runnable wake; (wake = uncongestedWaiters.poll()) != null; ) {
                wake.run();
            }
        }
    }

    private final SessionRuntime rt;
    private final BrokerSettings settings;
    private final String clientId;
    private final ActorRef<SessionDirectory.Command> directory;
    private final TimerScheduler<Command> timers;
    private final Handle handle;

    // session state: survives connections, kept in the session store
    private final SessionStore store;
    private SessionState state;
    /** The state was discarded when the session ended; a new connection starts a fresh one. */
    private boolean discarded;
    private long epoch;

    // connection state: valid while conn != null
    private MqttConnection conn;
    private boolean v5;
    private long sessionVersion;
    private int sendWindow;
    private long clientMaxPacketSize;
    private int clientTopicAliasMax;
    private final Map<String, Integer> outAliases = new HashMap<>();
    private final Map<Integer, String> inAliases = new HashMap<>();
    private SessionState.Will will;
    /** Reading from the connection is paused because too many of its publishes wait for the integrity log. */
    private boolean readingHeld;
    /** The subscriptions that match this client's receipts topic, as a delivery template; null = none. */
    private Delivery receiptRoute;
    private boolean receiptRouteStale = true;
    /** Congested subscribers this session's publisher waits for, reading paused; identity set. */
    private final Set<Subscriber> waitingForSubscribers = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Reused by every routing of a QoS 1/2 publish to collect congested recipients. */
    private final List<Subscriber> congestedRecipients = new ArrayList<>(2);
    /** Packets held back, in order, until the PUBLISH at their head may be routed (fence, back-pressure). */
    private final ArrayDeque<Inbound> held = new ArrayDeque<>();
    private boolean awaitingFence;

    static Behavior<Command> create(SessionRuntime rt, String clientId, ActorRef<SessionDirectory.Command> directory) {
        // a failure while handling one message must not cost the session its state
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> Behaviors.<Command>withTimers(
                        timers -> new SessionActor(ctx, timers, rt, clientId, directory))))
                .onFailure(SupervisorStrategy.resume());
    }

    private SessionActor(ActorContext<Command> context, TimerScheduler<Command> timers, SessionRuntime rt,
                         String clientId, ActorRef<SessionDirectory.Command> directory) {
        super(context);
        this.timers = timers;
        this.rt = rt;
        this.settings = rt.settings();
        this.clientId = clientId;
        this.directory = directory;
        this.handle = new Handle(clientId, context.getSelf(), settings.maxQueuedMessages());
        this.store = rt.sessions();
        this.state = store.open(clientId);
        restore();
    }

    /** A session read back from the store (after a restart) resumes its subscriptions and timers. */
    private void restore() {
        for (Subscription s : state.subscriptions.values()) {
            rt.router().subscribe(handle, s);
        }
        if (state.pendingWill != null) {
            armTimer(WILL_TIMER, new WillDelayElapsed(), state.willDueMillis);
        }
        if (state.existed && state.sessionExpiry < BrokerSettings.SESSION_NEVER_EXPIRES) {
            armTimer(EXPIRY_TIMER, new ExpiryElapsed(), state.expiryDueMillis);
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Attach.class, this::onAttach)
                .onMessage(Inbound.class, this::onInbound)
                .onMessage(ConnectionLost.class, this::onConnectionLost)
                .onMessage(Writable.class, this::onWritable)
                .onMessage(Deliver.class, this::onDeliver)
                .onMessage(Logged.class, this::onLogged)
                .onMessage(FenceCleared.class, f -> onFenceCleared())
                .onMessage(SubscriberUncongested.class, this::onSubscriberUncongested)
                .onMessage(BackPressureElapsed.class, b -> onBackPressureElapsed())
                .onMessage(WillDelayElapsed.class, w -> onWillDelayElapsed())
                .onMessage(ExpiryElapsed.class, e -> onExpiryElapsed())
                .onMessage(Stop.class, s -> onStop())
                .build();
    }

    // ---- connection lifecycle --------------------------------------------------------------------------------

    private Behavior<Command> onAttach(Attach a) {
        MqttConnectVariableHeader header = a.connect().variableHeader();
        if (conn != null) {
            MqttConnection old = conn;
            detach("session taken over", false, true);
            old.disconnect(MqttReasonCodes.Disconnect.SESSION_TAKEN_OVER, "session taken over");
        }
        // MQTT-3.1.3-9: a new connection before the will delay has passed cancels the will
        timers.cancel(WILL_TIMER);
        state.pendingWill = null;
        timers.cancel(EXPIRY_TIMER);
        epoch = a.epoch();
        if (discarded) {
            state = store.open(clientId);
            discarded = false;
        }

        boolean cleanStart = header.isCleanSession();
        boolean sessionPresent = !cleanStart && state.existed;
        if (cleanStart && state.existed) {
            endSessionState();
        }
        state.existed = true;

        conn = a.connection();
        v5 = conn.isMqtt5();
        sessionVersion = a.sessionVersion();
        MqttProperties props = header.properties();
        long requestedExpiry = v5
                ? MqttConnection.intProperty(props, MqttPropertyType.SESSION_EXPIRY_INTERVAL, 0) & 0xFFFF_FFFFL
                : (cleanStart ? 0 : BrokerSettings.SESSION_NEVER_EXPIRES);
        state.sessionExpiry = Math.min(requestedExpiry, settings.maxSessionExpiryInterval());
        sendWindow = v5 ? MqttConnection.intProperty(props, MqttPropertyType.RECEIVE_MAXIMUM, 65535)
                : settings.receiveMaximum();
        long maxPacket = v5 ? MqttConnection.intProperty(props, MqttPropertyType.MAXIMUM_PACKET_SIZE, -1) & 0xFFFF_FFFFL
                : 0xFFFF_FFFFL;
        clientMaxPacketSize = maxPacket == 0xFFFF_FFFFL ? NO_LIMIT : maxPacket;
        clientTopicAliasMax = v5 ? MqttConnection.intProperty(props, MqttPropertyType.TOPIC_ALIAS_MAXIMUM, 0) : 0;
        outAliases.clear();
        inAliases.clear();
        will = willOf(header, a.connect().payload());
        handle.online = true;

        conn.send(connAck(a, sessionPresent, requestedExpiry));
        conn.attach(getContext().getSelf());
        rt.events().publish(new BrokerEvent.Connected(clientId, sessionVersion, v5 ? "5.0" : "3.1.1",
                sessionPresent, a.generatedId(), conn.remoteAddress(), Instant.now()));
        resendInflight();
        drainQueue();
        conn.flush();
        return saved();
    }

    private MqttConnAckMessage connAck(Attach a, boolean sessionPresent, long requestedExpiry) {
        MqttConnectReturnCode ok = MqttConnectReturnCode.CONNECTION_ACCEPTED;
        if (!v5) {
            return MqttMessageBuilders.connAck().returnCode(ok).sessionPresent(sessionPresent).build();
        }
        MqttProperties p = new MqttProperties();
        if (a.assignedId()) {
            p.add(new MqttProperties.StringProperty(MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER.value(), clientId));
        }
        if (a.keepAliveAdjusted()) {
            p.add(new MqttProperties.IntegerProperty(MqttPropertyType.SERVER_KEEP_ALIVE.value(), a.keepAlive()));
        }
        if (state.sessionExpiry != requestedExpiry) {
            p.add(new MqttProperties.IntegerProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), (int) state.sessionExpiry));
        }
        p.add(new MqttProperties.IntegerProperty(MqttPropertyType.RECEIVE_MAXIMUM.value(), settings.receiveMaximum()));
        p.add(new MqttProperties.IntegerProperty(MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value(), settings.topicAliasMaximum()));
        p.add(new MqttProperties.IntegerProperty(MqttPropertyType.MAXIMUM_PACKET_SIZE.value(), settings.maxPacketSize()));
        return MqttMessageBuilders.connAck().returnCode(ok).sessionPresent(sessionPresent).properties(p).build();
    }

    private SessionState.Will willOf(MqttConnectVariableHeader header, MqttConnectPayload payload) {
        if (!header.isWillFlag()) {
            return null;
        }
        MqttProperties wp = payload.willProperties();
        long delay = v5 ? MqttConnection.intProperty(wp, MqttPropertyType.WILL_DELAY_INTERVAL, 0) & 0xFFFF_FFFFL : 0;
        return new SessionState.Will(payload.willTopic(), header.willQos(), header.isWillRetain(), payload.willMessageInBytes(),
                wp, delay);
    }

    private Behavior<Command> onConnectionLost(ConnectionLost lost) {
        if (lost.source() == conn) {
            detach(lost.reason(), lost.graceful(), false);
        }
        return saved();
    }

    /**
     * Detaches the current connection. The will is published (or scheduled) unless the client removed it with a
     * normal DISCONNECT.
     *
     * @param sessionContinues true on takeover: a new connection carries the session on at once
     */
    private void detach(String reason, boolean graceful, boolean sessionContinues) {
        handle.online = false;
        conn = null;
        readingHeld = false;
        // an offline session holds no publisher back: its queue's bound and drop policy apply
        handle.queued(state.queue.size());
        waitingForSubscribers.clear();
        timers.cancel(BACK_PRESSURE_TIMER);
        releaseHeld(); // packets of the ended connection: acknowledged nowhere, only counted off
        if (state.logged != null) {
            state.logged.connectionEnded();
        }
        rt.events().publish(new BrokerEvent.Disconnected(clientId, sessionVersion, reason, graceful, Instant.now()));
        SessionState.Will w = will;
        will = null;
        if (w != null) {
            if (w.delaySeconds() > 0 && state.sessionExpiry > 0) {
                state.pendingWill = w;
                state.willDueMillis = System.currentTimeMillis() + 1000 * Math.min(w.delaySeconds(), state.sessionExpiry);
                armTimer(WILL_TIMER, new WillDelayElapsed(), state.willDueMillis);
            } else {
                publishWill(w);
            }
        }
        if (sessionContinues) {
            return;
        }
        redispatchShared(true);
        if (state.sessionExpiry == 0) {
            endSession();
        } else if (state.sessionExpiry < BrokerSettings.SESSION_NEVER_EXPIRES) {
            state.expiryDueMillis = System.currentTimeMillis() + 1000 * state.sessionExpiry;
            armTimer(EXPIRY_TIMER, new ExpiryElapsed(), state.expiryDueMillis);
        }
    }

    private void publishWill(SessionState.Will w) {
        Message m = new Message(w.topic(), w.qos(), w.retain(), w.payload(), OutboundPublish.passThrough(w.properties()),
                clientId, OutboundPublish.expiryDeadline(w.properties(), System.nanoTime()));
        if (m.topic().startsWith(SYS_PREFIX) || !rt.access().onPublish(clientId, m.topic()).allowed()) {
            return;
        }
        if (m.retain()) {
            rt.retained().accept(m);
        }
        rt.router().route(m);
        if (rt.integrity().coverage(m.topic(), m.qos()) != IntegrityLog.Coverage.NONE) {
            // nobody waits for a will's acknowledgement: it is logged, and a failure is counted
            rt.integrity().append(new LoggedMessage(clientId, m.topic(), m.qos(), PayloadDigest.sha256(m.payload()),
                    Instant.now())).whenComplete((receipt, failure) -> {
                        if (failure != null) {
                            rt.metrics().integrityLogFailures.increment();
                        }
                    });
        }
    }

    /** Hands the (possibly) altered state to the store; a durable store writes it now. */
    private Behavior<Command> saved() {
        if (!discarded) {
            store.changed(state);
        }
        return Behaviors.same();
    }

    /**
     * Starts a timer for a wall-clock deadline. Pekko's scheduler cannot take delays of months, but MQTT intervals
     * go up to 136 years, so long waits are cut into steps and re-armed until the deadline.
     */
    private void armTimer(String key, Command message, long dueMillis) {
        long delay = Math.max(0, Math.min(dueMillis - System.currentTimeMillis(), LONGEST_TIMER_MILLIS));
        timers.startSingleTimer(key, message, Duration.ofMillis(delay));
    }

    private Behavior<Command> onWillDelayElapsed() {
        if (System.currentTimeMillis() < state.willDueMillis) {
            armTimer(WILL_TIMER, new WillDelayElapsed(), state.willDueMillis);
            return Behaviors.same();
        }
        SessionState.Will w = state.pendingWill;
        state.pendingWill = null;
        if (w != null) {
            publishWill(w);
        }
        return saved();
    }

    private Behavior<Command> onExpiryElapsed() {
        if (System.currentTimeMillis() < state.expiryDueMillis) {
            armTimer(EXPIRY_TIMER, new ExpiryElapsed(), state.expiryDueMillis);
        } else if (conn == null) {
            endSession();
        }
        return Behaviors.same();
    }

    /** Ends the session: state goes, and the directory is asked to let this actor stop. */
    private void endSession() {
        endSessionState();
        store.discard(clientId);
        // until the directory lets this actor stop, whatever still arrives goes to a state nobody keeps
        state = new SessionState(clientId);
        discarded = true;
        directory.tell(new SessionDirectory.RequestStop(clientId, getContext().getSelf(), epoch));
    }

    private void endSessionState() {
        for (Subscription s : state.subscriptions.values()) {
            rt.router().unsubscribe(clientId, s.shareGroup(), s.filter());
        }
        state.subscriptions.clear();
        receiptRouteStale = true;
        redispatchShared(false);
        state.queue.clear();
        state.inflight.clear();
        state.awaitingPubrel.clear();
        state.logged = null;
        timers.cancel(EXPIRY_TIMER);
        if (state.pendingWill != null) {
            // MQTT-3.1.3-9: the will goes out when the session ends, whichever comes first
            timers.cancel(WILL_TIMER);
            SessionState.Will w = state.pendingWill;
            state.pendingWill = null;
            publishWill(w);
        }
    }

    private Behavior<Command> onStop() {
        if (conn != null) {
            // a CONNECT overtook the stop request; the directory only stops idle sessions, so this cannot happen
            return Behaviors.same();
        }
        if (state.pendingWill != null) {
            publishWill(state.pendingWill);
        }
        return Behaviors.stopped();
    }

    /**
     * Hands messages of shared subscriptions that this session has not completed to other members of the group.
     *
     * @param onlyToOthersOnline on disconnect, keep a message when no other member is there to take it
     */
    private void redispatchShared(boolean onlyToOthersOnline) {
        for (Iterator<Delivery> it = state.queue.iterator(); it.hasNext(); ) {
            Delivery d = it.next();
            if (d.isShared() && rt.router().redispatchShared(d, clientId, onlyToOthersOnline)) {
                it.remove();
            }
        }
        for (Iterator<SessionState.Outgoing> it = state.inflight.values().iterator(); it.hasNext(); ) {
            SessionState.Outgoing o = it.next();
            // a QoS 2 message whose PUBREC came back has reached the client: it must not be sent twice
            if (o.delivery.isShared() && !o.released
                    && rt.router().redispatchShared(o.delivery, clientId, onlyToOthersOnline)) {
                it.remove();
            }
        }
    }

    private Behavior<Command> onWritable(Writable w) {
        if (w.source() == conn) {
            drainQueue();
            conn.flush();
        }
        return saved();
    }

    // ---- inbound packets -------------------------------------------------------------------------------------

    /**
     * Packets are processed in order, except that a PUBLISH waits (and everything after it with it) while a SUBSCRIBE
     * read before it is not registered yet, or while subscribers of this session's messages are congested. The
     * acknowledgements of messages sent to this client (PUBACK, PUBREC, PUBCOMP) never wait: they are what lets
     * deliveries to it go on.
     */
    private Behavior<Command> onInbound(Inbound in) {
        if (held.isEmpty() && !mustWait(in)) {
            return process(in);
        }
        if (isAckOfOutbound(in)) {
            return process(in);
        }
        held.add(in);
        releaseHeld();
        return Behaviors.same();
    }

    private boolean mustWait(Inbound in) {
        return in.packet() instanceof PublishPacket p
                && (!waitingForSubscribers.isEmpty() || !rt.fence().isClear(p.fencePosition()));
    }

    private static boolean isAckOfOutbound(Inbound in) {
        if (!(in.packet() instanceof MqttMessage m)) {
            return false;
        }
        MqttMessageType type = m.fixedHeader().messageType();
        return type == MqttMessageType.PUBACK || type == MqttMessageType.PUBREC || type == MqttMessageType.PUBCOMP;
    }

    /** Processes held packets in order as far as nothing stops them (again). */
    private void releaseHeld() {
        while (!held.isEmpty()) {
            Inbound next = held.peek();
            if (next.packet() instanceof PublishPacket p) {
                if (!waitingForSubscribers.isEmpty()) {
                    return; // onSubscriberUncongested or onBackPressureElapsed calls back
                }
                if (!rt.fence().isClear(p.fencePosition())) {
                    awaitFence(p);
                    return;
                }
            }
            held.poll();
            process(next);
        }
        if (conn != null) {
            conn.flush();
        }
    }

    private void awaitFence(PublishPacket first) {
        if (awaitingFence) {
            return;
        }
        awaitingFence = true;
        ActorRef<Command> self = getContext().getSelf();
        rt.fence().awaitClear(first.fencePosition(), () -> self.tell(new FenceCleared()));
        // in case the wake-up is lost: the fence gives up on a ticket after a short while anyway
        timers.startSingleTimer(FENCE_TIMER, new FenceCleared(), Duration.ofMillis(110));
    }

    private Behavior<Command> onFenceCleared() {
        awaitingFence = false;
        timers.cancel(FENCE_TIMER);
        releaseHeld();
        return Behaviors.same();
    }

    private Behavior<Command> process(Inbound in) {
        MqttConnection source = in.source();
        source.processed();
        if (source != conn || source.isClosing()) {
            if (in.packet() instanceof SubscribePacket sp) {
                rt.fence().subscribeDone(sp.ticket());
            }
            return Behaviors.same();
        }
        try {
            if (in.packet() instanceof PublishPacket p) {
                onPublish(p);
            } else if (in.packet() instanceof SubscribePacket sp) {
                try {
                    onSubscribe(sp.message());
                } finally {
                    rt.fence().subscribeDone(sp.ticket());
                }
            } else {
                MqttMessage m = (MqttMessage) in.packet();
                switch (m.fixedHeader().messageType()) {
                    case PUBACK -> onPubAck(packetIdOf(m));
                    case PUBREC -> onPubRec(packetIdOf(m), reasonOf(m));
                    case PUBREL -> onPubRel(packetIdOf(m));
                    case PUBCOMP -> onPubComp(packetIdOf(m));
                    case UNSUBSCRIBE -> onUnsubscribe((MqttUnsubscribeMessage) m);
                    case DISCONNECT -> onDisconnect(m);
                    default -> protocolError(MqttReasonCodes.Disconnect.PROTOCOL_ERROR,
                            "unexpected " + m.fixedHeader().messageType());
                }
            }
        } catch (RuntimeException e) {
            // a bug must cost this one connection, never the session state or other sessions
            getContext().getLog().error("session {} failed on a packet", clientId, e);
            if (conn != null) {
                conn.disconnect(MqttReasonCodes.Disconnect.IMPLEMENTATION_SPECIFIC_ERROR, "internal error");
            }
        }
        if (conn != null) {
            conn.flush();
        }
        return saved();
    }

    private void onPublish(PublishPacket p) {
        String topic = p.topic();
        MqttProperties props = p.properties();
        if (v5) {
            int alias = MqttConnection.intProperty(props, MqttPropertyType.TOPIC_ALIAS, -1);
            if (alias != -1) {
                if (alias == 0 || alias > settings.topicAliasMaximum()) {
                    protocolError(MqttReasonCodes.Disconnect.TOPIC_ALIAS_INVALID, "topic alias " + alias + " out of range");
                    return;
                }
                if (topic.isEmpty()) {
                    topic = inAliases.get(alias);
                    if (topic == null) {
                        protocolError(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "unknown topic alias " + alias);
                        return;
                    }
                } else if (TopicFilter.isValidTopicName(topic)) {
                    inAliases.put(alias, topic);
                }
            }
            if (!props.getProperties(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()).isEmpty()) {
                protocolError(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "subscription identifier in PUBLISH");
                return;
            }
        }
        if (!TopicFilter.isValidTopicName(topic)) {
            protocolError(MqttReasonCodes.Disconnect.TOPIC_NAME_INVALID, "invalid topic name");
            return;
        }
        if (p.qos() == 0 && p.dup()) {
            protocolError(MqttReasonCodes.Disconnect.MALFORMED_PACKET, "DUP set on a QoS 0 PUBLISH");
            return;
        }
        if (p.qos() == 2 && state.awaitingPubrel.contains(p.packetId())) {
            // retransmission before PUBREL: acknowledged again, never delivered or logged twice (MQTT-4.3.3)
            LoggedPublishes.Entry earlier = state.logged == null ? null : state.logged.earlierAppend(p.packetId());
            boolean wait = earlier != null && !earlier.done
                    && rt.integrity().coverage(topic, 2) == IntegrityLog.Coverage.LOGGED_BEFORE_ACK;
            acknowledge(p.packetId(), 2, 0, wait ? earlier : null);
            return;
        }
        if (p.qos() == 2 && v5 && state.awaitingPubrel.size() >= settings.receiveMaximum()) {
            protocolError(MqttReasonCodes.Disconnect.RECEIVE_MAXIMUM_EXCEEDED, "receive maximum exceeded");
            return;
        }
        rt.metrics().messagesReceived.increment();
        AccessPolicy.Decision decision = topic.startsWith(SYS_PREFIX)
                ? AccessPolicy.Decision.deny(AccessPolicy.NOT_AUTHORIZED) : rt.access().onPublish(clientId, topic);
        int reason;
        LoggedPublishes.Entry waitFor = null;
        if (decision.allowed()) {
            IntegrityLog.Coverage coverage = rt.integrity().coverage(topic, p.qos());
            byte[] digest = coverage == IntegrityLog.Coverage.NONE ? null : PayloadDigest.sha256(p.payload());
            if (digest != null && p.qos() == 1 && p.dup()) {
                LoggedPublishes.Entry earlier = logged().earlierAppendOf(p.packetId(), topic, digest);
                if (earlier != null) {
                    // a retransmission of a message already handed to the log: logged and delivered once
                    rt.metrics().retransmissionsRecognised.increment();
                    boolean wait = coverage == IntegrityLog.Coverage.LOGGED_BEFORE_ACK && !earlier.done;
                    acknowledge(p.packetId(), 1, 0, wait ? earlier : null);
                    return;
                }
            }
            long now = System.nanoTime();
            Message m = new Message(topic, p.qos(), p.retain(), p.payload(), OutboundPublish.passThrough(props),
                    clientId, OutboundPublish.expiryDeadline(props, now));
            if (m.retain()) {
                rt.retained().accept(m);
            }
            int deliveries = rt.router().route(m, p.qos() > 0 ? congestedRecipients : null);
            if (!congestedRecipients.isEmpty()) {
                pauseFor(congestedRecipients);
                congestedRecipients.clear();
            }
            if (rt.events().hasMessageConsumers()) {
                rt.events().publish(new BrokerEvent.MessageAccepted(clientId, topic, p.qos(), p.retain(),
                        p.payload(), Math.max(p.packetId(), 0), Instant.now()));
            }
            reason = deliveries == 0 ? MqttReasonCodes.PubAck.NO_MATCHING_SUBSCRIBERS.byteValue() : 0;
            if (digest != null) {
                LoggedPublishes.Entry entry = appendToLog(p.qos() > 0 ? p.packetId() : 0, topic, p.qos(), digest);
                if (coverage == IntegrityLog.Coverage.LOGGED_BEFORE_ACK) {
                    waitFor = entry;
                }
            }
        } else {
            reason = decision.reasonCode();
        }
        if (p.qos() == 2 && (!v5 || reason < 0x80)) {
            state.awaitingPubrel.add(p.packetId());
        }
        if (p.qos() > 0) {
            acknowledge(p.packetId(), p.qos(), reason, waitFor);
        }
    }

    // ---- the integrity log -----------------------------------------------------------------------------------

    private LoggedPublishes logged() {
        if (state.logged == null) {
            // a client never has more unacknowledged publishes than our receive maximum (5.0); for 3.1.1 clients
            // this is how far back a retransmission is recognised
            state.logged = new LoggedPublishes(settings.receiveMaximum());
        }
        return state.logged;
    }

    private LoggedPublishes.Entry appendToLog(int packetId, String topic, int qos, byte[] digest) {
        LoggedPublishes owner = logged();
        LoggedPublishes.Entry entry = owner.appending(packetId, topic, digest);
        getContext().pipeToSelf(rt.integrity().append(new LoggedMessage(clientId, topic, qos, digest, Instant.now())),
                (receipt, failure) -> new Logged(owner, entry, receipt, failure));
        if (owner.outstanding() >= settings.inboundBufferHighWatermark() && !readingHeld) {
            // the log is behind: stop reading this publisher rather than buffer without bound
            readingHeld = true;
            conn.holdReading(MqttConnection.HOLD_FOR_LOG, true);
        }
        return entry;
    }

    /** Sends a PUBACK (QoS 1) or PUBREC (QoS 2), after {@code waitFor} is durable and after earlier acks. */
    private void acknowledge(int packetId, int qos, int reason, LoggedPublishes.Entry waitFor) {
        LoggedPublishes owner = state.logged;
        if (waitFor != null || (owner != null && owner.acksWaiting())) {
            logged().ackLater(new LoggedPublishes.PendingAck(packetId, qos, reason, waitFor));
            return;
        }
        conn.send(pubReply(qos == 1 ? MqttMessageType.PUBACK : MqttMessageType.PUBREC, packetId, reason));
    }

    private Behavior<Command> onLogged(Logged l) {
        if (l.owner() != state.logged) {
            return Behaviors.same(); // the session state was discarded meanwhile
        }
        LoggedPublishes owner = l.owner();
        owner.completed(l.entry(), l.failure() != null);
        if (l.failure() != null) {
            rt.metrics().integrityLogFailures.increment();
            getContext().getLog().warn("session {}: message on {} could not be logged: {}", clientId,
                    l.entry().topic, l.failure().toString());
            // the flow ends with an error, so a retransmission counts as a new message and is logged then
            state.awaitingPubrel.remove(l.entry().packetId);
        } else {
            sendReceipt(l.entry(), l.receipt());
        }
        if (conn != null) {
            LoggedPublishes.PendingAck ack;
            while (conn != null && (ack = owner.pollReady()) != null) {
                if (ack.waitFor() != null && ack.waitFor().failed) {
                    if (!v5) {
                        // 3.1.1 cannot refuse a publish: without its ack the client sends it again
                        conn.disconnect(MqttReasonCodes.Disconnect.IMPLEMENTATION_SPECIFIC_ERROR, "message not logged");
                        break;
                    }
                    conn.send(pubReply(ack.qos() == 1 ? MqttMessageType.PUBACK : MqttMessageType.PUBREC,
                            ack.packetId(), MqttReasonCodes.PubAck.UNSPECIFIED_ERROR.byteValue() & 0xFF));
                } else {
                    conn.send(pubReply(ack.qos() == 1 ? MqttMessageType.PUBACK : MqttMessageType.PUBREC,
                            ack.packetId(), ack.reasonCode()));
                }
            }
            if (readingHeld && conn != null && owner.outstanding() <= settings.inboundBufferHighWatermark() / 2) {
                readingHeld = false;
                conn.holdReading(MqttConnection.HOLD_FOR_LOG, false);
            }
            if (conn != null) {
                conn.flush();
            }
        }
        return saved();
    }

    /** Delivers the receipt of a logged message to this client if it subscribed to its own receipts topic. */
    private void sendReceipt(LoggedPublishes.Entry entry, LogReceipt receipt) {
        if (receiptRouteStale) {
            receiptRoute = receiptRouteOf(receiptsTopic());
            receiptRouteStale = false;
        }
        if (receiptRoute == null || receipt == null) {
            return;
        }
        Message m = new Message(receiptsTopic(), receiptRoute.qos(), false,
                Receipts.json(receipt, entry.topic, entry.packetId, entry.payloadSha256), List.of(),
                "$anchormq/receipts", Message.NEVER);
        offer(new Delivery(m, receiptRoute.qos(), false, receiptRoute.subscriptionIds(), null, null));
    }

    private String receiptsTopic() {
        return settings.receiptsTopicPrefix() + clientId;
    }

    /**
     * Receipts go to this session alone, never through the router, so no one else's wildcard can see them; the
     * client's own matching subscriptions decide QoS and identifiers as routing would.
     */
    private Delivery receiptRouteOf(String topic) {
        int qos = -1;
        List<Integer> ids = new ArrayList<>(1);
        for (Subscription s : state.subscriptions.values()) {
            if (s.shareGroup() == null && TopicFilter.matches(s.filter(), topic)) {
                qos = Math.max(qos, s.qos());
                if (s.subscriptionId() > 0) {
                    ids.add(s.subscriptionId());
                }
            }
        }
        return qos < 0 ? null : new Delivery(null, qos, false, List.copyOf(ids), null, null);
    }

    private void onPubAck(int packetId) {
        SessionState.Outgoing o = state.inflight.get(packetId);
        if (o != null && o.delivery.qos() == 1) {
            state.inflight.remove(packetId);
            drainQueue();
        }
    }

    private void onPubRec(int packetId, int reason) {
        SessionState.Outgoing o = state.inflight.get(packetId);
        if (o == null || o.delivery.qos() != 2) {
            conn.send(pubReply(MqttMessageType.PUBREL, packetId,
                    MqttReasonCodes.PubRel.PACKET_IDENTIFIER_NOT_FOUND.byteValue()));
            return;
        }
        if (v5 && reason >= 0x80) {
            state.inflight.remove(packetId);
            drainQueue();
            return;
        }
        o.released = true;
        conn.send(pubReply(MqttMessageType.PUBREL, packetId, 0));
    }

    private void onPubRel(int packetId) {
        int reason = state.awaitingPubrel.remove(packetId) ? 0
                : MqttReasonCodes.PubComp.PACKET_IDENTIFIER_NOT_FOUND.byteValue();
        conn.send(pubReply(MqttMessageType.PUBCOMP, packetId, reason));
    }

    private void onPubComp(int packetId) {
        SessionState.Outgoing o = state.inflight.get(packetId);
        if (o != null && o.released) {
            state.inflight.remove(packetId);
            drainQueue();
        }
    }

    private void onSubscribe(MqttSubscribeMessage msg) {
        MqttMessageIdAndPropertiesVariableHeader header = msg.idAndPropertiesVariableHeader();
        List<MqttTopicSubscription> requested = msg.payload().topicSubscriptions();
        if (requested.isEmpty()) {
            protocolError(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "SUBSCRIBE without topic filters");
            return;
        }
        int subscriptionId = 0;
        if (v5) {
            List<? extends MqttProperties.MqttProperty> ids =
                    header.properties().getProperties(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value());
            if (!ids.isEmpty()) {
                subscriptionId = (Integer) ids.get(0).value();
                if (subscriptionId == 0 || ids.size() > 1) {
                    protocolError(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "invalid subscription identifier");
                    return;
                }
            }
        }
        List<Integer> codes = new ArrayList<>(requested.size());
        List<Delivery> retainedToSend = new ArrayList<>();
        for (MqttTopicSubscription ts : requested) {
            MqttSubscriptionOption opt = ts.option();
            if (!v5 && (opt.isNoLocal() || opt.isRetainAsPublished()
                    || opt.retainHandling() != MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE)) {
                // MQTT-3.8.3-4: reserved bits of the requested QoS byte must be zero in 3.1.1
                protocolError(MqttReasonCodes.Disconnect.MALFORMED_PACKET, "reserved subscription option bits set");
                return;
            }
            TopicFilter.Parsed parsed = TopicFilter.parse(ts.topicName());
            if (parsed == null) {
                codes.add(v5 ? (int) MqttReasonCodes.SubAck.TOPIC_FILTER_INVALID.byteValue() & 0xFF : 0x80);
                continue;
            }
            if (v5 && parsed.isShared() && opt.isNoLocal()) {
                // MQTT-3.8.3-4 (5.0): No Local on a shared subscription is a protocol error
                protocolError(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "No Local on a shared subscription");
                return;
            }
            AccessPolicy.Decision decision = rt.access().onSubscribe(clientId, ts.topicName());
            if (!decision.allowed()) {
                codes.add(v5 ? decision.reasonCode() : 0x80);
                continue;
            }
            int qos = opt.qos().value();
            int retainHandling = opt.retainHandling().value();
            Subscription sub = new Subscription(parsed.shareGroup(), parsed.filter(), qos, opt.isNoLocal(),
                    opt.isRetainAsPublished(), retainHandling, subscriptionId);
            boolean replaced = rt.router().subscribe(handle, sub);
            receiptRouteStale = true;
            state.subscriptions.put(sub.key(), sub);
            codes.add(qos);
            // retained messages are not sent for shared subscriptions (MQTT-3.8.4 5.0 non-normative)
            if (!parsed.isShared() && (retainHandling == 0 || (retainHandling == 1 && !replaced))) {
                List<Integer> ids = subscriptionId > 0 ? List.of(subscriptionId) : List.of();
                for (Message m : rt.retained().matching(parsed.filter())) {
                    retainedToSend.add(new Delivery(m, Math.min(m.qos(), qos), true, ids, null, null));
                }
            }
        }
        int[] reasonCodes = codes.stream().mapToInt(Integer::intValue).toArray();
        conn.send(new MqttSubAckMessage(new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttMessageIdAndPropertiesVariableHeader(header.messageId(), MqttProperties.NO_PROPERTIES),
                new MqttSubAckPayload(reasonCodes)));
        for (Delivery d : retainedToSend) {
            offer(d);
        }
    }

    private void onUnsubscribe(MqttUnsubscribeMessage msg) {
        List<String> filters = msg.payload().topics();
        if (filters.isEmpty()) {
            protocolError(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "UNSUBSCRIBE without topic filters");
            return;
        }
        List<Short> codes = new ArrayList<>(filters.size());
        for (String raw : filters) {
            TopicFilter.Parsed parsed = TopicFilter.parse(raw);
            Subscription sub = parsed == null ? null
                    : state.subscriptions.remove(new Subscription(parsed.shareGroup(), parsed.filter(), 0, false, false, 0, 0).key());
            if (sub == null) {
                codes.add((short) (parsed == null ? MqttReasonCodes.UnsubAck.TOPIC_FILTER_INVALID.byteValue() & 0xFF
                        : MqttReasonCodes.UnsubAck.NO_SUBSCRIPTION_EXISTED.byteValue()));
                continue;
            }
            rt.router().unsubscribe(clientId, sub.shareGroup(), sub.filter());
            receiptRouteStale = true;
            if (sub.shareGroup() != null) {
                // queued messages of the group go to the members that stay
                state.queue.removeIf(d -> sub.shareGroup().equals(d.shareGroup()) && sub.filter().equals(d.shareFilter())
                        && rt.router().redispatchShared(d, clientId, false));
            }
            codes.add((short) 0);
        }
        MqttFixedHeader fh = new MqttFixedHeader(MqttMessageType.UNSUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0);
        MqttMessageIdAndPropertiesVariableHeader vh = new MqttMessageIdAndPropertiesVariableHeader(
                msg.idAndPropertiesVariableHeader().messageId(), MqttProperties.NO_PROPERTIES);
        conn.send(new MqttUnsubAckMessage(fh, vh, v5 ? new MqttUnsubAckPayload(codes) : null));
    }

    private void onDisconnect(MqttMessage m) {
        int reason = MqttConnection.reasonCodeOf(m);
        if (v5 && m.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader h) {
            int requested = MqttConnection.intProperty(h.properties(), MqttPropertyType.SESSION_EXPIRY_INTERVAL, -1);
            if (requested != -1) {
                if (state.sessionExpiry == 0 && requested != 0) {
                    // MQTT-3.14.2-2: a session that was to end at disconnect cannot be revived here
                    protocolError(MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "session expiry set after connecting with 0");
                    return;
                }
                state.sessionExpiry = Math.min(requested & 0xFFFF_FFFFL, settings.maxSessionExpiryInterval());
            }
        }
        if (!(v5 && reason == MqttReasonCodes.Disconnect.DISCONNECT_WITH_WILL_MESSAGE.byteValue())) {
            will = null; // MQTT-3.1.2-10: a normal DISCONNECT discards the will
        }
        String why = reason == 0 ? "client disconnected" : "client disconnected with reason 0x"
                + Integer.toHexString(reason);
        MqttConnection closing = conn;
        // detached here, not when the socket closes: the client may close it before this packet is processed
        detach(why, true, false);
        closing.closeGracefully(why);
    }

    private void protocolError(MqttReasonCodes.Disconnect code, String reason) {
        rt.metrics().protocolErrors.increment();
        conn.disconnect(code, "protocol error: " + reason);
    }

    private static int packetIdOf(MqttMessage m) {
        Object vh = m.variableHeader();
        if (vh instanceof MqttPubReplyMessageVariableHeader r) {
            return r.messageId();
        }
        return ((io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader) vh).messageId();
    }

    private static int reasonOf(MqttMessage m) {
        return m.variableHeader() instanceof MqttPubReplyMessageVariableHeader r ? r.reasonCode() & 0xFF : 0;
    }

    private MqttMessage pubReply(MqttMessageType type, int packetId, int reason) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0),
                new MqttPubReplyMessageVariableHeader(packetId, v5 ? (byte) reason : 0, MqttProperties.NO_PROPERTIES));
    }

    // ---- outbound messages -----------------------------------------------------------------------------------

    private Behavior<Command> onDeliver(Deliver d) {
        handle.taken();
        offer(d.delivery());
        handle.queued(state.queue.size());
        if (conn != null) {
            conn.flush();
        }
        return saved();
    }

    /** Sends a message now if flow control allows, else queues it within the session's bound. */
    private void offer(Delivery d) {
        if (conn == null && d.qos() == 0) {
            rt.metrics().droppedQos0Offline.increment();
            return;
        }
        if (d.message().isExpired(System.nanoTime())) {
            rt.metrics().droppedExpired.increment();
            return;
        }
        if (conn != null && state.queue.isEmpty() && conn.isWritable() && (d.qos() == 0 || state.inflight.size() < sendWindow)) {
            send(d);
            return;
        }
        enqueue(d);
    }

    private void enqueue(Delivery d) {
        int limit = settings.maxQueuedMessages();
        // online but behind, it is congested from max-queued-messages on (publishers pause when they see it), and
        // drops only at the hard limit
        if (state.queue.size() >= (conn != null ? limit * ONLINE_QUEUE_FACTOR : limit)) {
            // make room by dropping the oldest QoS 0 message; otherwise the newcomer is the one dropped
            if (d.qos() == 0 || !removeOldestQos0()) {
                rt.metrics().droppedQueueFull.increment();
                return;
            }
            rt.metrics().droppedQueueFull.increment();
        }
        state.queue.add(d);
    }

    private boolean removeOldestQos0() {
        for (Iterator<Delivery> it = state.queue.iterator(); it.hasNext(); ) {
            if (it.next().qos() == 0) {
                it.remove();
                return true;
            }
        }
        return false;
    }

    private void drainQueue() {
        while (conn != null && !state.queue.isEmpty() && conn.isWritable()) {
            Delivery d = state.queue.peek();
            if (d.qos() > 0 && state.inflight.size() >= sendWindow) {
                return;
            }
            state.queue.poll();
            if (d.message().isExpired(System.nanoTime())) {
                rt.metrics().droppedExpired.increment();
                continue;
            }
            send(d);
        }
        handle.queued(state.queue.size());
    }

    // ---- back-pressure towards publishers ------------------------------------------------------------------------

    /** This session's last publish went to subscribers whose queues are full: stop reading until they drain. */
    private void pauseFor(List<Subscriber> congested) {
        ActorRef<Command> self = getContext().getSelf();
        boolean wasWaiting = !waitingForSubscribers.isEmpty();
        for (Subscriber s : congested) {
            if (s != handle && waitingForSubscribers.add(s)) {
                s.whenUncongested(() -> self.tell(new SubscriberUncongested(s)));
            }
        }
        if (!wasWaiting && !waitingForSubscribers.isEmpty() && conn != null) {
            rt.metrics().backPressurePauses.increment();
            conn.holdReading(MqttConnection.HOLD_FOR_SUBSCRIBERS, true);
            timers.startSingleTimer(BACK_PRESSURE_TIMER, new BackPressureElapsed(), MAX_BACK_PRESSURE);
        }
    }

    private Behavior<Command> onSubscriberUncongested(SubscriberUncongested u) {
        if (waitingForSubscribers.remove(u.subscriber()) && waitingForSubscribers.isEmpty()) {
            resumeReading();
        }
        return Behaviors.same();
    }

    private Behavior<Command> onBackPressureElapsed() {
        if (!waitingForSubscribers.isEmpty()) {
            rt.metrics().backPressureTimeouts.increment();
            waitingForSubscribers.clear(); // their wake-ups, when they come, find nothing to release
            resumeReading();
        }
        return Behaviors.same();
    }

    private void resumeReading() {
        timers.cancel(BACK_PRESSURE_TIMER);
        if (conn != null) {
            conn.holdReading(MqttConnection.HOLD_FOR_SUBSCRIBERS, false);
        }
        releaseHeld();
    }

    private void send(Delivery d) {
        int packetId = d.qos() > 0 ? nextPacketId() : 0;
        MqttMessage publish = OutboundPublish.build(d, packetId, false, v5, clientTopicAliasMax, outAliases,
                clientMaxPacketSize);
        if (publish == null) {
            // MQTT-3.1.2-25: too large for this client; dropped as if delivered
            rt.metrics().droppedTooLarge.increment();
            return;
        }
        if (d.qos() > 0) {
            state.inflight.put(packetId, new SessionState.Outgoing(d));
        }
        conn.send(publish);
        rt.metrics().messagesSent.increment();
    }

    /** After a reconnect: unacknowledged PUBLISHes again with DUP, PUBRELs for released QoS 2 (MQTT-4.4.0-1). */
    private void resendInflight() {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<Integer, SessionState.Outgoing>> it = state.inflight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, SessionState.Outgoing> e = it.next();
            SessionState.Outgoing o = e.getValue();
            if (o.released) {
                conn.send(pubReply(MqttMessageType.PUBREL, e.getKey(), 0));
                continue;
            }
            MqttMessage publish = o.delivery.message().isExpired(now) ? null
                    : OutboundPublish.build(o.delivery, e.getKey(), true, v5, clientTopicAliasMax, outAliases,
                    clientMaxPacketSize);
            if (publish == null) {
                it.remove();
                rt.metrics().droppedExpired.increment();
                continue;
            }
            conn.send(publish);
        }
    }

    private int nextPacketId() {
        do {
            state.lastPacketId = state.lastPacketId == 65535 ? 1 : state.lastPacketId + 1;
        } while (state.inflight.containsKey(state.lastPacketId));
        return state.lastPacketId;
    }
}
