package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.WorkspaceQuotas;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.events.BrokerEvent;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.Publisher;
import io.anchormq.broker.routing.Subscriber;
import io.anchormq.broker.routing.TopicFilter;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Messages the session's client publishes: PUBLISH checks (topic aliases, topic names, flags, QoS 2 receive
 * maximum), access, retained and routed, the integrity log and the acknowledgement, PUBREL of the QoS 2 flow; and
 * the client's will when it is due. Owned by the session actor, over the session's current state.
 */
final class InboundPublishes {

    /** Clients may not publish here: presence, metrics and receipts are the broker's word. */
    private static final String SYS_PREFIX = "$SYS/";

    private final SessionState state;
    private final PublishLogging logging;
    private final InboundGate gate;
    private final Publisher publisher;
    private final AccessPolicy access;
    private final IntegrityLog integrity;
    private final BrokerEvents events;
    private final BrokerMetrics metrics;
    private final BrokerSettings settings;
    private static final int QUOTA_EXCEEDED = 0x97;
    private final WorkspaceQuotas quotas;
    private final RetainedStore retained;
    private final SessionStore store;
    /** The client's own inbound rates, once it published as a confined anonymous client. */
    private WorkspaceQuotas.ClientRates anonymousRates;
    /** Reused by every routing of a QoS 1/2 publish to collect congested recipients. */
    private final List<Subscriber> congestedRecipients = new ArrayList<>(2);

    InboundPublishes(SessionState state, PublishLogging logging, InboundGate gate, SessionRuntime rt) {
        this.quotas = rt.quotas();
        this.store = rt.sessions();
        this.retained = rt.retained();
        this.state = state;
        this.logging = logging;
        this.gate = gate;
        this.publisher = rt.publisher();
        this.access = rt.access();
        this.integrity = rt.integrity();
        this.events = rt.events();
        this.metrics = rt.metrics();
        this.settings = rt.settings();
    }

    void onPublish(InboundPacket.Publish p, ConnectedClient client) {
        if (p.qos() == 0) {
            accept(p, client);
        } else {
            // the message, its deliveries to stored sessions and its QoS 2 packet id are durable together, and
            // acknowledged only then
            store.inGroup(() -> accept(p, client));
        }
    }

    private void accept(InboundPacket.Publish p, ConnectedClient client) {
        String topic = client.v5 ? topicOfV5(p, client) : p.topic();
        if (topic == null) {
            return; // a protocol error, reported
        }
        if (!TopicFilter.isValidTopicName(topic)) {
            protocolError(client, MqttReasonCodes.Disconnect.TOPIC_NAME_INVALID, "invalid topic name");
            return;
        }
        if (p.qos() == 0 && p.dup()) {
            protocolError(client, MqttReasonCodes.Disconnect.MALFORMED_PACKET, "DUP set on a QoS 0 PUBLISH");
            return;
        }
        if (p.qos() == 2 && state.awaitingPubrel.contains(p.packetId())) {
            // retransmission before PUBREL: acknowledged again, never delivered or logged twice (MQTT-4.3.3)
            LoggedPublishes.Entry earlier = logging.earlierAppend(p.packetId());
            boolean wait = earlier != null && !earlier.done
                    && integrity.coverage(topic, 2) == IntegrityLog.Coverage.LOGGED_BEFORE_ACK;
            logging.acknowledge(p.packetId(), 2, 0, wait ? earlier : null, client);
            return;
        }
        if (p.qos() == 2 && client.v5 && state.awaitingPubrel.size() >= settings.receiveMaximum()) {
            protocolError(client, MqttReasonCodes.Disconnect.RECEIVE_MAXIMUM_EXCEEDED, "receive maximum exceeded");
            return;
        }
        metrics.messagesReceived.increment();
        AccessPolicy.Decision decision = topic.startsWith(SYS_PREFIX)
                || !state.identity.mayUse(topic) || (state.identity.isConfined() && p.retain())
                ? AccessPolicy.Decision.deny(AccessPolicy.NOT_AUTHORIZED)
                : access.onPublish(state.identity, state.clientId, topic);
        if (decision.allowed()) {
            decision = withinQuotas(p, topic, client);
        }
        int reason;
        LoggedPublishes.Entry waitFor = null;
        if (decision.allowed()) {
            IntegrityLog.Coverage coverage = integrity.coverage(topic, p.qos());
            byte[] digest = coverage == IntegrityLog.Coverage.NONE ? null : PayloadDigest.sha256(p.payload());
            if (digest != null && p.qos() == 1 && p.dup()) {
                LoggedPublishes.Entry earlier = logging.logged().earlierAppendOf(p.packetId(), topic, digest);
                if (earlier != null) {
                    // a retransmission of a message already handed to the log: logged and delivered once
                    metrics.retransmissionsRecognised.increment();
                    boolean wait = coverage == IntegrityLog.Coverage.LOGGED_BEFORE_ACK && !earlier.done;
                    logging.acknowledge(p.packetId(), 1, 0, wait ? earlier : null, client);
                    return;
                }
            }
            int deliveries = route(p, topic, client);
            reason = deliveries == 0 ? MqttReasonCodes.PubAck.NO_MATCHING_SUBSCRIBERS.byteValue() : 0;
            if (digest != null) {
                boolean beforeAck = coverage == IntegrityLog.Coverage.LOGGED_BEFORE_ACK;
                LoggedPublishes.Entry entry = logging.append(p.qos() > 0 ? p.packetId() : 0, topic, p.qos(), digest,
                        beforeAck, client);
                if (beforeAck) {
                    waitFor = entry;
                }
            }
        } else {
            reason = decision.reasonCode();
        }
        if (p.qos() == 2 && (!client.v5 || reason < 0x80)) {
            state.awaitingPubrel.add(p.packetId());
            if (state.sessionExpiry > 0) {
                state.journal.awaitingPubrel(p.packetId(), true);
            }
        }
        if (p.qos() > 0) {
            int ackReason = reason;
            LoggedPublishes.Entry ackAfter = waitFor;
            store.afterCommit(() -> {
                logging.acknowledge(p.packetId(), p.qos(), ackReason, ackAfter, client);
                client.connection.flush(); // the session flushed its replies before this group was committed
            });
        }
    }

    /**
     * The workspace's quotas on an allowed publish: its retained messages, and its inbound rates (a confined
     * anonymous client's own as well), which hold the publisher back (it is not read for a while) before they refuse
     * anything.
     */
    private AccessPolicy.Decision withinQuotas(InboundPacket.Publish p, String topic, ConnectedClient client) {
        int maxRetained = quotas.maxRetainedMessages();
        if (maxRetained > 0 && p.retain() && p.payload().length > 0 && retained.sizeOfClientTopics() >= maxRetained
                && retained.matching(topic).isEmpty()) {
            metrics.quotaRefusals.increment();
            return AccessPolicy.Decision.deny(QUOTA_EXCEEDED);
        }
        long holdMillis = state.identity.isConfined() ? anonymousRates().takeInbound(p.payload().length)
                : quotas.takeInbound(p.payload().length);
        if (holdMillis < 0) {
            metrics.quotaRefusals.increment();
            return AccessPolicy.Decision.deny(QUOTA_EXCEEDED);
        }
        if (holdMillis > 0) {
            metrics.rateQuotaPauses.increment();
            gate.pauseForRate(client.connection, holdMillis);
        }
        return AccessPolicy.Decision.ALLOW;
    }

    private WorkspaceQuotas.ClientRates anonymousRates() {
        if (anonymousRates == null) {
            anonymousRates = quotas.anonymousClientRates();
        }
        return anonymousRates;
    }

    /** The topic of an MQTT 5 PUBLISH, its topic alias resolved; null after a protocol error. */
    private String topicOfV5(InboundPacket.Publish p, ConnectedClient client) {
        String topic = p.topic();
        MqttProperties props = p.properties();
        int alias = MqttPacket.intProperty(props, MqttPropertyType.TOPIC_ALIAS, -1);
        if (alias != -1) {
            if (alias == 0 || alias > settings.topicAliasMaximum()) {
                protocolError(client, MqttReasonCodes.Disconnect.TOPIC_ALIAS_INVALID, "topic alias " + alias + " out of range");
                return null;
            }
            if (topic.isEmpty()) {
                topic = client.inAliases.get(alias);
                if (topic == null) {
                    protocolError(client, MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "unknown topic alias " + alias);
                    return null;
                }
            } else if (TopicFilter.isValidTopicName(topic)) {
                client.inAliases.put(alias, topic);
            }
        }
        if (!props.getProperties(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()).isEmpty()) {
            protocolError(client, MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "subscription identifier in PUBLISH");
            return null;
        }
        return topic;
    }

    /** Retains and routes an accepted publish; returns the number of deliveries. */
    private int route(InboundPacket.Publish p, String topic, ConnectedClient client) {
        MqttProperties props = p.properties();
        Message m = new Message(topic, p.qos(), p.retain(), p.payload(), OutboundPublish.passThrough(props),
                state.clientId, OutboundPublish.expiryDeadline(props, System.nanoTime()));
        int deliveries = publisher.publish(m, p.qos() > 0 ? congestedRecipients : null);
        if (!congestedRecipients.isEmpty()) {
            gate.pauseFor(congestedRecipients, client.connection);
            congestedRecipients.clear();
        }
        if (events.hasMessageConsumers()) {
            events.publish(new BrokerEvent.MessageAccepted(state.clientId, topic, p.qos(), p.retain(),
                    p.payload(), Math.max(p.packetId(), 0), Instant.now()));
        }
        return deliveries;
    }

    /** PUBREL of the client's QoS 2 flow: the packet id is free again, PUBCOMP says so. */
    void onPubRel(int packetId, ConnectedClient client) {
        boolean awaited = state.awaitingPubrel.remove(packetId);
        if (awaited && state.sessionExpiry > 0) {
            state.journal.awaitingPubrel(packetId, false);
        }
        int reason = awaited ? 0 : MqttReasonCodes.PubComp.PACKET_IDENTIFIER_NOT_FOUND.byteValue();
        client.sendReply(MqttMessageType.PUBCOMP, packetId, reason);
    }

    /** Publishes a will as its client's message: access rules apply, and it is logged like any other. */
    void publishWill(SessionState.Will w) {
        Message m = new Message(w.topic(), w.qos(), w.retain(), w.payload(), OutboundPublish.passThrough(w.properties()),
                state.clientId, OutboundPublish.expiryDeadline(w.properties(), System.nanoTime()));
        if (m.topic().startsWith(SYS_PREFIX) || !access.onPublish(state.identity, state.clientId, m.topic()).allowed()) {
            return;
        }
        publisher.publish(m);
        logging.appendUnacknowledged(m);
    }

    private void protocolError(ConnectedClient client, MqttReasonCodes.Disconnect code, String reason) {
        client.protocolError(metrics, code, reason);
    }
}
