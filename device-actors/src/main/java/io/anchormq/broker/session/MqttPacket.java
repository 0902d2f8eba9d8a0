package io.anchormq.broker.session;

import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;

/** Reads fields of Netty's MQTT packets and builds the small replies, for sessions and connections alike. */
public final class MqttPacket {

    private MqttPacket() {
    }

    /** An integer property, or {@code absent}. */
    public static int intProperty(MqttProperties props, MqttPropertyType type, int absent) {
        MqttProperties.MqttProperty<?> p = props.getProperty(type.value());
        return p == null ? absent : (Integer) p.value();
    }

    /** The packet identifier of an acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP). */
    public static int packetId(MqttMessage ack) {
        Object vh = ack.variableHeader();
        if (vh instanceof MqttPubReplyMessageVariableHeader r) {
            return r.messageId();
        }
        return ((MqttMessageIdVariableHeader) vh).messageId();
    }

    /** The MQTT 5 reason code of an acknowledgement or a DISCONNECT, 0 when it has none. */
    public static int reasonCode(MqttMessage packet) {
        Object vh = packet.variableHeader();
        if (vh instanceof MqttPubReplyMessageVariableHeader r) {
            return r.reasonCode() & 0xFF;
        }
        return vh instanceof MqttReasonCodeAndPropertiesVariableHeader h ? h.reasonCode() & 0xFF : 0;
    }

    /** A PUBACK, PUBREC, PUBREL or PUBCOMP; the reason code goes out to MQTT 5 clients only. */
    static MqttMessage pubReply(MqttMessageType type, int packetId, int reason, boolean v5) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0),
                new MqttPubReplyMessageVariableHeader(packetId, v5 ? (byte) reason : 0, MqttProperties.NO_PROPERTIES));
    }
}
