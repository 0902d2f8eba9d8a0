package io.anchormq.broker.connection;

import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.session.InboundPacket;
import io.anchormq.broker.session.MqttPacket;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;

/** Turns the packets Netty decoded into the {@link InboundPacket}s sessions take, on the event loop. */
final class InboundPackets {

    private InboundPackets() {
    }

    /**
     * The session's form of a packet read now; a PUBLISH's buffer is released here. PUBLISHes and SUBSCRIBEs take
     * their place relative to other SUBSCRIBEs from the fence as they are read.
     */
    static InboundPacket of(MqttMessage message, SubscriptionFence fence) {
        MqttMessageType type = message.fixedHeader().messageType();
        return switch (type) {
            case PUBLISH -> copyPublish((MqttPublishMessage) message, fence.position());
            case SUBSCRIBE -> new InboundPacket.Subscribe((MqttSubscribeMessage) message, fence.subscribeArrived());
            case UNSUBSCRIBE -> {
                MqttUnsubscribeMessage u = (MqttUnsubscribeMessage) message;
                yield new InboundPacket.Unsubscribe(u.idAndPropertiesVariableHeader().messageId(), u.payload().topics());
            }
            case PUBACK, PUBREC, PUBREL, PUBCOMP ->
                    new InboundPacket.Ack(type, MqttPacket.packetId(message), MqttPacket.reasonCode(message));
            case DISCONNECT -> new InboundPacket.Disconnect(MqttPacket.reasonCode(message), sessionExpiryOf(message));
            default -> new InboundPacket.Unexpected(type);
        };
    }

    private static InboundPacket.Publish copyPublish(MqttPublishMessage publish, long fencePosition) {
        try {
            ByteBuf content = publish.content();
            byte[] payload = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), payload);
            MqttFixedHeader fh = publish.fixedHeader();
            return new InboundPacket.Publish(publish.variableHeader().topicName(), fh.qosLevel().value(), fh.isDup(),
                    fh.isRetain(), publish.variableHeader().packetId(), publish.variableHeader().properties(), payload,
                    fencePosition);
        } finally {
            publish.release();
        }
    }

    /** The Session Expiry Interval a DISCONNECT sets (MQTT 5), -1 when it sets none. */
    private static long sessionExpiryOf(MqttMessage disconnect) {
        if (disconnect.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader h) {
            MqttProperties.MqttProperty<?> p = h.properties().getProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value());
            if (p != null) {
                return (Integer) p.value() & 0xFFFF_FFFFL;
            }
        }
        return -1;
    }
}
