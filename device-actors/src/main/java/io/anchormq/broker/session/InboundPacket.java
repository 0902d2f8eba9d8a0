package io.anchormq.broker.session;

import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import java.util.List;

/**
 * A packet a connected client sent, as its session receives it. The connection answers PINGREQ and refuses a second
 * CONNECT itself; everything else arrives here, read off Netty's buffers on the event loop so that sessions never
 * hold reference-counted memory.
 */
public sealed interface InboundPacket {

    /**
     * A PUBLISH, its payload copied out.
     *
     * @param fencePosition where it was read relative to SUBSCRIBEs ({@link io.anchormq.broker.routing.SubscriptionFence})
     */
    record Publish(String topic, int qos, boolean dup, boolean retain, int packetId, MqttProperties properties,
                   byte[] payload, long fencePosition) implements InboundPacket {
    }

    /**
     * A SUBSCRIBE with the fence ticket it took when read, handed back once its subscriptions are registered (or
     * the packet is dropped).
     */
    record Subscribe(MqttSubscribeMessage message, long ticket) implements InboundPacket {
    }

    record Unsubscribe(int packetId, List<String> filters) implements InboundPacket {
    }

    /**
     * PUBACK, PUBREC, PUBREL or PUBCOMP.
     *
     * @param reasonCode MQTT 5 reason code, 0 when absent
     */
    record Ack(MqttMessageType type, int packetId, int reasonCode) implements InboundPacket {

        /** An acknowledgement of a message this session sent (not PUBREL, which is the client's QoS 2 flow). */
        boolean isOfOutbound() {
            return type != MqttMessageType.PUBREL;
        }
    }

    /**
     * @param sessionExpiry MQTT 5 Session Expiry Interval property (0 to 4,294,967,295), -1 when absent
     */
    record Disconnect(int reasonCode, long sessionExpiry) implements InboundPacket {
    }

    /** A packet a client may not send to a server once connected (CONNACK, SUBACK, AUTH, ...). */
    record Unexpected(MqttMessageType type) implements InboundPacket {
    }
}
