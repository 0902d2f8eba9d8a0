package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.integrity.LogReceipt;
import io.anchormq.broker.integrity.LoggedMessage;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.Delivery;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The integrity log's part in a session's inbound publishes: appends, the PUBACKs / PUBRECs that wait for their
 * entries to be durable (in publish order, MQTT-4.6.0-2, -3), receipts, and pausing a publisher while the log is
 * behind. Owned by the session actor, over the session's current state.
 */
final class PublishLogging {

    /** Tells the session how an append ended, as a {@link SessionActor.Logged}. */
    private record ToldToSession(ActorRef<SessionActor.Command> session, LoggedPublishes owner,
                                 LoggedPublishes.Entry entry) implements IntegrityLog.Outcome {
        @Override
        public void logged(LogReceipt receipt) {
            session.tell(new SessionActor.Logged(owner, entry, receipt, null));
        }

        @Override
        public void failed(Throwable failure) {
            session.tell(new SessionActor.Logged(owner, entry, null, failure));
        }
    }

    private final SessionState state;
    private final ActorContext<SessionActor.Command> context;
    private final SubscriptionRequests subscriptions;
    private final IntegrityLog integrity;
    private final BrokerMetrics metrics;
    private final int receiveMaximum;
    /** For appends nobody waits for (wills): a failure is counted. */
    private final IntegrityLog.Outcome countFailure;

    PublishLogging(SessionState state, ActorContext<SessionActor.Command> context, SubscriptionRequests subscriptions,
                   SessionRuntime rt) {
        this.state = state;
        this.context = context;
        this.subscriptions = subscriptions;
        this.integrity = rt.integrity();
        this.metrics = rt.metrics();
        this.receiveMaximum = rt.settings().receiveMaximum();
        this.countFailure = new IntegrityLog.Outcome() {
            @Override
            public void logged(LogReceipt receipt) {
            }

            @Override
            public void failed(Throwable failure) {
                metrics.integrityLogFailures.increment();
            }
        };
    }

    /** What this session has handed to the log, created on first use. */
    LoggedPublishes logged() {
        if (state.logged == null) {
            // a client never has more unacknowledged publishes than our receive maximum (5.0); for 3.1.1 clients
            // this is how far back a retransmission is recognised
            state.logged = new LoggedPublishes(receiveMaximum);
        }
        return state.logged;
    }

    /** The earlier append under this packet id whatever its content, or null. */
    LoggedPublishes.Entry earlierAppend(int packetId) {
        return state.logged == null ? null : state.logged.earlierAppend(packetId);
    }

    /**
     * Hands a publish to the log. A Logged comes back to the actor if it fails, and once it is durable if the
     * acknowledgement waits for that ({@code confirm}) or the client takes receipts.
     */
    LoggedPublishes.Entry append(int packetId, String topic, int qos, byte[] digest, boolean confirm,
                                 ConnectedClient client) {
        LoggedPublishes owner = logged();
        LoggedPublishes.Entry entry = owner.appending(packetId, topic, digest);
        integrity.append(new LoggedMessage(state.clientId, topic, qos, digest, Instant.now()),
                confirm || subscriptions.receiptRoute() != null, new ToldToSession(context.getSelf(), owner, entry));
        if (!client.readingHeldForLog && integrity.isBehind()) {
            // stop reading this publisher rather than let the log's backlog grow without bound
            client.readingHeldForLog = true;
            client.connection.holdReading(ClientConnection.ReadHold.INTEGRITY_LOG, true);
            ActorRef<SessionActor.Command> self = context.getSelf();
            integrity.whenCaughtUp(() -> self.tell(new SessionActor.LogCaughtUp()));
        }
        return entry;
    }

    /** The log has room again: a publisher held for it is read again. */
    void onCaughtUp(ConnectedClient client) {
        if (client.readingHeldForLog) {
            client.readingHeldForLog = false;
            client.connection.holdReading(ClientConnection.ReadHold.INTEGRITY_LOG, false);
        }
    }

    /** Logs a message nobody waits for (a will); a failure is counted. */
    void appendUnacknowledged(Message m) {
        if (integrity.coverage(m.topic(), m.qos()) == IntegrityLog.Coverage.NONE) {
            return;
        }
        integrity.append(new LoggedMessage(state.clientId, m.topic(), m.qos(), PayloadDigest.sha256(m.payload()),
                Instant.now()), false, countFailure);
    }

    /** Sends a PUBACK (QoS 1) or PUBREC (QoS 2), after {@code waitFor} is durable and after earlier acks. */
    void acknowledge(int packetId, int qos, int reason, LoggedPublishes.Entry waitFor, ConnectedClient client) {
        LoggedPublishes owner = state.logged;
        if (waitFor != null || (owner != null && owner.acksWaiting())) {
            logged().ackLater(new LoggedPublishes.PendingAck(packetId, qos, reason, waitFor));
            return;
        }
        client.sendReply(ackType(qos), packetId, reason);
    }

    private static MqttMessageType ackType(int qos) {
        return qos == 1 ? MqttMessageType.PUBACK : MqttMessageType.PUBREC;
    }

    /**
     * An append finished: its receipt goes to {@code offer}. Returns false if the append belonged to session state
     * discarded meanwhile.
     */
    boolean completed(SessionActor.Logged l, Consumer<Delivery> offer) {
        if (l.owner() != state.logged) {
            return false;
        }
        l.owner().completed(l.entry(), l.failure() != null);
        if (l.failure() != null) {
            metrics.integrityLogFailures.increment();
            context.getLog().warn("session {}: message on {} could not be logged: {}", state.clientId,
                    l.entry().topic, l.failure().toString());
            // the flow ends with an error, so a retransmission counts as a new message and is logged then
            if (state.awaitingPubrel.remove(l.entry().packetId)) {
                state.journal.awaitingPubrel(l.entry().packetId, false);
            }
        } else {
            sendReceipt(l.entry(), l.receipt(), offer);
        }
        return true;
    }

    /** Sends the acknowledgements whose entries are durable now, in order. */
    void sendReadyAcks(ConnectedClient client) {
        LoggedPublishes owner = state.logged;
        for (LoggedPublishes.PendingAck ack; (ack = owner.pollReady()) != null; ) {
            if (ack.waitFor() != null && ack.waitFor().failed) {
                if (!client.v5) {
                    // 3.1.1 cannot refuse a publish: without its ack the client sends it again
                    client.connection.disconnect(MqttReasonCodes.Disconnect.IMPLEMENTATION_SPECIFIC_ERROR,
                            "message not logged");
                    break;
                }
                client.sendReply(ackType(ack.qos()), ack.packetId(),
                        MqttReasonCodes.PubAck.UNSPECIFIED_ERROR.byteValue() & 0xFF);
            } else {
                client.sendReply(ackType(ack.qos()), ack.packetId(), ack.reasonCode());
            }
        }
    }

    /** Acks of a connection that ended are not sent on the next one: the client retransmits instead. */
    void connectionEnded() {
        if (state.logged != null) {
            state.logged.connectionEnded();
        }
    }

    /** Delivers the receipt of a logged message to this client if it subscribed to its own receipts topic. */
    private void sendReceipt(LoggedPublishes.Entry entry, LogReceipt receipt, Consumer<Delivery> offer) {
        Delivery route = subscriptions.receiptRoute();
        if (route == null || receipt == null) {
            return;
        }
        Message m = new Message(subscriptions.receiptsTopic(), route.qos(), false,
                Receipts.json(receipt, entry.topic, entry.packetId, entry.payloadSha256), List.of(),
                "$anchormq/receipts", Message.NEVER);
        offer.accept(new Delivery(m, route.qos(), false, route.subscriptionIds(), null, null));
    }
}
