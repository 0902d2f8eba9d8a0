package io.anchormq.broker.connection;

import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.routing.TopicFilter;
import io.anchormq.broker.session.MqttPacket;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttIdentifierRejectedException;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.util.UUID;

/**
 * What a CONNECT must pass before its connection asks for a session: the rules of MQTT-3.1.2 and MQTT-3.1.3 that
 * Netty's decoder leaves to us, the client identifier (made up when empty), and the keep alive the broker grants
 * (who the client is, the {@code Authenticator} decides after these checks). Thread-safe.
 */
final class ConnectChecks {

    /** What the checks decided. */
    sealed interface Verdict {
    }

    /** The CONNECT may have its session. */
    record Accept(String clientId, boolean assignedId, boolean generatedId, int keepAlive, boolean keepAliveAdjusted)
            implements Verdict {
    }

    /** Refused with a CONNACK carrying {@code code}. */
    record Refuse(MqttConnectReturnCode code, String reason) implements Verdict {
    }

    /** MQTT 3.1.1 has no return code for this: the connection closes without a CONNACK. */
    record Close(String reason, boolean countAsRefused) implements Verdict {
    }

    private final BrokerSettings settings;

    ConnectChecks(BrokerSettings settings) {
        this.settings = settings;
    }

    static boolean isMqtt5(MqttConnectMessage connect) {
        return connect.variableHeader().version() == MqttVersion.MQTT_5.protocolLevel();
    }

    Verdict check(MqttConnectMessage connect) {
        MqttConnectVariableHeader header = connect.variableHeader();
        MqttConnectPayload payload = connect.payload();
        boolean mqtt5 = isMqtt5(connect);
        MqttProperties props = header.properties();

        if (!header.isWillFlag() && (header.willQos() != 0 || header.isWillRetain())) {
            return malformed(mqtt5, "will QoS or will retain set without will flag");
        }
        if (header.willQos() > 2) {
            return malformed(mqtt5, "will QoS 3");
        }
        if (!mqtt5 && header.hasPassword() && !header.hasUserName()) {
            return malformed(false, "password without user name");
        }
        if (mqtt5) {
            if (MqttPacket.intProperty(props, MqttPropertyType.RECEIVE_MAXIMUM, -1) == 0
                    || MqttPacket.intProperty(props, MqttPropertyType.MAXIMUM_PACKET_SIZE, -1) == 0) {
                return new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_PROTOCOL_ERROR,
                        "receive maximum or maximum packet size 0");
            }
            if (props.getProperty(MqttPropertyType.AUTHENTICATION_METHOD.value()) != null) {
                return new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_BAD_AUTHENTICATION_METHOD,
                        "enhanced authentication not supported");
            }
        }
        if (header.isWillFlag() && !TopicFilter.isValidTopicName(payload.willTopic())) {
            return mqtt5 ? new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_TOPIC_NAME_INVALID, "invalid will topic")
                    : new Close("invalid will topic", false);
        }

        String clientId = payload.clientIdentifier();
        boolean generated = false;
        if (clientId == null || !TopicFilter.isWellFormedText(clientId)) {
            return new Refuse(mqtt5 ? MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID
                    : MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED, "invalid client identifier");
        }
        if (clientId.isEmpty()) {
            if (!mqtt5 && !header.isCleanSession()) {
                // MQTT-3.1.3-8: a zero-byte client id needs clean session
                return new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED,
                        "empty client id without clean session");
            }
            clientId = "anchormq-" + UUID.randomUUID();
            generated = true;
        }

        int keepAlive = header.keepAliveTimeSeconds();
        boolean keepAliveAdjusted = false;
        if (mqtt5 && settings.maxKeepAlive() > 0 && (keepAlive == 0 || keepAlive > settings.maxKeepAlive())) {
            keepAlive = settings.maxKeepAlive();
            keepAliveAdjusted = true;
        }
        return new Accept(clientId, generated && mqtt5, generated, keepAlive, keepAliveAdjusted);
    }

    /** The verdict on a CONNECT that Netty's decoder (or the {@link PacketInspector}) could not accept. */
    static Verdict ofUndecodable(Throwable cause, boolean mqtt5) {
        if (cause instanceof MqttUnacceptableProtocolVersionException && isKnownProtocolName(cause)) {
            // right protocol name, unsupported level: MQTT-3.1.2-2 wants return code 0x01
            return new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION,
                    "unsupported protocol level");
        }
        if (cause instanceof MqttIdentifierRejectedException) {
            return new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED, "client identifier rejected");
        }
        if (mqtt5 && cause instanceof TooLongFrameException) {
            return new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_PACKET_TOO_LARGE, "CONNECT too large");
        }
        return mqtt5 ? new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_MALFORMED_PACKET,
                "malformed CONNECT: " + cause.getMessage())
                : new Close("malformed CONNECT: " + cause.getMessage(), false);
    }

    private static boolean isKnownProtocolName(Throwable cause) {
        String m = String.valueOf(cause.getMessage());
        return (m.startsWith("MQTT ") || m.startsWith("MQIsdp ")) && m.contains("unknown protocol name");
    }

    private static Verdict malformed(boolean mqtt5, String reason) {
        return mqtt5 ? new Refuse(MqttConnectReturnCode.CONNECTION_REFUSED_MALFORMED_PACKET, reason)
                : new Close("malformed CONNECT: " + reason, true);
    }
}
