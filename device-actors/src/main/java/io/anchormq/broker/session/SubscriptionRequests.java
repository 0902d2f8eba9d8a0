package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.WorkspaceQuotas;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.message.Message;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.routing.Subscription;
import io.anchormq.broker.routing.TopicFilter;
import io.anchormq.broker.routing.TopicRouter;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubAckMessage;
import io.netty.handler.codec.mqtt.MqttUnsubAckPayload;
import java.util.ArrayList;
import java.util.List;

/**
 * A session's subscriptions: SUBSCRIBE and UNSUBSCRIBE with their acknowledgements, registration with the router,
 * retained messages on subscribe, and the route of the client's own receipts. Owned by the session actor, over the
 * session's current state.
 */
final class SubscriptionRequests {

    private final SessionState state;
    private final Handle handle;
    private final OutboundFlow outbound;
    private final TopicRouter router;
    private final RetainedStore retained;
    private final AccessPolicy access;
    private final BrokerMetrics metrics;
    private final WorkspaceQuotas quotas;
    private static final int QUOTA_EXCEEDED = 0x97;
    private final String receiptsTopic;
    /** The subscriptions that match the client's receipts topic, as a delivery template; null = none. */
    private Delivery receiptRoute;
    private boolean receiptRouteStale = true;

    SubscriptionRequests(SessionState state, Handle handle, OutboundFlow outbound, SessionRuntime rt) {
        this.state = state;
        this.handle = handle;
        this.outbound = outbound;
        this.router = rt.router();
        this.retained = rt.retained();
        this.access = rt.access();
        this.metrics = rt.metrics();
        this.quotas = rt.quotas();
        this.receiptsTopic = rt.settings().receiptsTopicPrefix() + state.clientId;
    }

    /** A session read back from the store (after a restart) takes its subscriptions up again. */
    void restore() {
        for (Subscription s : state.subscriptions.values()) {
            router.subscribe(handle, s);
        }
    }

    /** Clean start or the session's end: every subscription goes. */
    void removeAll() {
        for (Subscription s : state.subscriptions.values()) {
            router.unsubscribe(state.clientId, s.shareGroup(), s.filter());
        }
        state.subscriptions.clear();
        receiptRouteStale = true;
    }

    void onSubscribe(MqttSubscribeMessage msg, ConnectedClient client) {
        MqttMessageIdAndPropertiesVariableHeader header = msg.idAndPropertiesVariableHeader();
        List<MqttTopicSubscription> requested = msg.payload().topicSubscriptions();
        if (requested.isEmpty()) {
            client.protocolError(metrics, MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "SUBSCRIBE without topic filters");
            return;
        }
        boolean v5 = client.v5;
        int subscriptionId = 0;
        if (v5) {
            List<? extends MqttProperties.MqttProperty> ids =
                    header.properties().getProperties(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value());
            if (!ids.isEmpty()) {
                subscriptionId = (Integer) ids.get(0).value();
                if (subscriptionId == 0 || ids.size() > 1) {
                    client.protocolError(metrics, MqttReasonCodes.Disconnect.PROTOCOL_ERROR,
                            "invalid subscription identifier");
                    return;
                }
            }
        }
        int[] codes = new int[requested.size()];
        List<Delivery> retainedToSend = new ArrayList<>();
        for (int i = 0; i < codes.length; i++) {
            MqttTopicSubscription ts = requested.get(i);
            MqttSubscriptionOption opt = ts.option();
            if (!v5 && (opt.isNoLocal() || opt.isRetainAsPublished()
                    || opt.retainHandling() != MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE)) {
                // MQTT-3.8.3-4: reserved bits of the requested QoS byte must be zero in 3.1.1
                client.protocolError(metrics, MqttReasonCodes.Disconnect.MALFORMED_PACKET,
                        "reserved subscription option bits set");
                return;
            }
            TopicFilter.Parsed parsed = TopicFilter.parse(ts.topicName());
            if (parsed == null) {
                codes[i] = v5 ? MqttReasonCodes.SubAck.TOPIC_FILTER_INVALID.byteValue() & 0xFF : 0x80;
                continue;
            }
            if (v5 && parsed.isShared() && opt.isNoLocal()) {
                // MQTT-3.8.3-4 (5.0): No Local on a shared subscription is a protocol error
                client.protocolError(metrics, MqttReasonCodes.Disconnect.PROTOCOL_ERROR,
                        "No Local on a shared subscription");
                return;
            }
            if (!state.identity.mayUse(parsed.filter()) || (state.identity.isConfined() && parsed.isShared())) {
                codes[i] = v5 ? AccessPolicy.NOT_AUTHORIZED : 0x80; // a confined client: exact topics only
                continue;
            }
            int maxSubscriptions = quotas.maxSubscriptionsPerClient();
            if (maxSubscriptions > 0 && state.subscriptions.size() >= maxSubscriptions
                    && !state.subscriptions.containsKey(ts.topicName())) {
                metrics.quotaRefusals.increment();
                codes[i] = v5 ? QUOTA_EXCEEDED : 0x80;
                continue;
            }
            AccessPolicy.Decision decision = access.onSubscribe(state.identity, state.clientId, ts.topicName());
            if (!decision.allowed()) {
                codes[i] = v5 ? decision.reasonCode() : 0x80;
                continue;
            }
            int qos = opt.qos().value();
            int retainHandling = opt.retainHandling().value();
            Subscription sub = new Subscription(parsed.shareGroup(), parsed.filter(), qos, opt.isNoLocal(),
                    opt.isRetainAsPublished(), retainHandling, subscriptionId);
            boolean replaced = router.subscribe(handle, sub);
            receiptRouteStale = true;
            state.subscriptions.put(sub.key(), sub);
            codes[i] = qos;
            // retained messages are not sent for shared subscriptions (MQTT-3.8.4 5.0 non-normative)
            if (!parsed.isShared() && (retainHandling == 0 || (retainHandling == 1 && !replaced))) {
                List<Integer> ids = subscriptionId > 0 ? List.of(subscriptionId) : List.of();
                for (Message m : retained.matching(parsed.filter())) {
                    retainedToSend.add(new Delivery(m, Math.min(m.qos(), qos), true, ids, null, null));
                }
            }
        }
        client.connection.send(new MqttSubAckMessage(
                new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttMessageIdAndPropertiesVariableHeader(header.messageId(), MqttProperties.NO_PROPERTIES),
                new MqttSubAckPayload(codes)));
        for (Delivery d : retainedToSend) {
            outbound.offer(d, client);
        }
    }

    void onUnsubscribe(InboundPacket.Unsubscribe request, ConnectedClient client) {
        List<String> filters = request.filters();
        if (filters.isEmpty()) {
            client.protocolError(metrics, MqttReasonCodes.Disconnect.PROTOCOL_ERROR, "UNSUBSCRIBE without topic filters");
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
            router.unsubscribe(state.clientId, sub.shareGroup(), sub.filter());
            receiptRouteStale = true;
            if (sub.shareGroup() != null) {
                outbound.redispatchQueuedOf(sub.shareGroup(), sub.filter());
            }
            codes.add((short) 0);
        }
        MqttFixedHeader fh = new MqttFixedHeader(MqttMessageType.UNSUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0);
        MqttMessageIdAndPropertiesVariableHeader vh = new MqttMessageIdAndPropertiesVariableHeader(
                request.packetId(), MqttProperties.NO_PROPERTIES);
        client.connection.send(new MqttUnsubAckMessage(fh, vh, client.v5 ? new MqttUnsubAckPayload(codes) : null));
    }

    /**
     * The access rules changed: every subscription they no longer allow goes at once (MQTT has no packet to tell
     * the client; it just stops receiving). Returns how many went.
     */
    int recheckAccess() {
        int removed = 0;
        for (java.util.Iterator<Subscription> it = state.subscriptions.values().iterator(); it.hasNext(); ) {
            Subscription s = it.next();
            if (!access.onSubscribe(state.identity, state.clientId, s.key()).allowed()) {
                it.remove();
                router.unsubscribe(state.clientId, s.shareGroup(), s.filter());
                receiptRouteStale = true;
                if (s.shareGroup() != null) {
                    outbound.redispatchQueuedOf(s.shareGroup(), s.filter());
                }
                removed++;
            }
        }
        return removed;
    }

    String receiptsTopic() {
        return receiptsTopic;
    }

    /**
     * How a receipt reaches the client, or null when it subscribed to none. Receipts go to this session alone,
     * never through the router, so no one else's wildcard can see them; the client's own matching subscriptions
     * decide QoS and identifiers as routing would.
     */
    Delivery receiptRoute() {
        if (receiptRouteStale) {
            receiptRoute = routeOf(receiptsTopic);
            receiptRouteStale = false;
        }
        return receiptRoute;
    }

    private Delivery routeOf(String topic) {
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
}
