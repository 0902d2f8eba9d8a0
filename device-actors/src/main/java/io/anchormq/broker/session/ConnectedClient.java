package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.util.HashMap;
import java.util.Map;

/**
 * The connection a session is attached to, with what its CONNECT negotiated. It exists while the client is online
 * and goes with its connection; what outlives connections is in {@link SessionState}.
 */
final class ConnectedClient {

    /** No Maximum Packet Size given: no limit. */
    private static final long NO_LIMIT = Long.MAX_VALUE;

    final ClientConnection connection;
    final boolean v5;
    final long sessionVersion;
    /** The Session Expiry Interval the client asked for (3.1.1: what its clean session flag means). */
    final long requestedSessionExpiry;
    /** QoS 1/2 messages that may be unacknowledged towards the client: its Receive Maximum. */
    final int sendWindow;
    final long maxPacketSize;
    final int topicAliasMaximum;
    /** Topic aliases this session assigned towards the client. */
    final Map<String, Integer> outAliases = new HashMap<>();
    /** Topic aliases the client assigned towards the broker. */
    final Map<Integer, String> inAliases = new HashMap<>();
    /** The will of this connection; a normal DISCONNECT removes it. */
    SessionState.Will will;
    /** Reading is paused: too many of this connection's publishes wait for the integrity log. */
    boolean readingHeldForLog;
    /** The session let go of this connection (DISCONNECT, takeover, loss); whatever it still sent is dropped. */
    boolean detached;

    private ConnectedClient(ClientConnection connection, long sessionVersion, MqttConnectVariableHeader header,
                            MqttConnectPayload payload, BrokerSettings settings) {
        this.connection = connection;
        this.v5 = connection.isMqtt5();
        this.sessionVersion = sessionVersion;
        MqttProperties props = header.properties();
        this.requestedSessionExpiry = v5
                ? MqttPacket.intProperty(props, MqttPropertyType.SESSION_EXPIRY_INTERVAL, 0) & 0xFFFF_FFFFL
                : (header.isCleanSession() ? 0 : BrokerSettings.SESSION_NEVER_EXPIRES);
        this.sendWindow = v5 ? MqttPacket.intProperty(props, MqttPropertyType.RECEIVE_MAXIMUM, 65535)
                : settings.receiveMaximum();
        long maxPacket = v5 ? MqttPacket.intProperty(props, MqttPropertyType.MAXIMUM_PACKET_SIZE, -1) & 0xFFFF_FFFFL
                : 0xFFFF_FFFFL;
        this.maxPacketSize = maxPacket == 0xFFFF_FFFFL ? NO_LIMIT : maxPacket;
        this.topicAliasMaximum = v5 ? MqttPacket.intProperty(props, MqttPropertyType.TOPIC_ALIAS_MAXIMUM, 0) : 0;
        this.will = willOf(header, payload, v5);
    }

    static ConnectedClient of(ConnectRequest request, long sessionVersion, BrokerSettings settings) {
        return new ConnectedClient(request.connection(), sessionVersion, request.connect().variableHeader(),
                request.connect().payload(), settings);
    }

    private static SessionState.Will willOf(MqttConnectVariableHeader header, MqttConnectPayload payload, boolean v5) {
        if (!header.isWillFlag()) {
            return null;
        }
        MqttProperties wp = payload.willProperties();
        long delay = v5 ? MqttPacket.intProperty(wp, MqttPropertyType.WILL_DELAY_INTERVAL, 0) & 0xFFFF_FFFFL : 0;
        return new SessionState.Will(payload.willTopic(), header.willQos(), header.isWillRetain(),
                payload.willMessageInBytes(), wp, delay);
    }

    /** The CONNACK accepting this connection; MQTT 5 clients learn what the broker decided for them. */
    MqttConnAckMessage connAck(ConnectRequest request, boolean sessionPresent, long grantedSessionExpiry,
                               BrokerSettings settings) {
        MqttConnectReturnCode ok = MqttConnectReturnCode.CONNECTION_ACCEPTED;
        if (!v5) {
            return MqttMessageBuilders.connAck().returnCode(ok).sessionPresent(sessionPresent).build();
        }
        MqttProperties p = new MqttProperties();
        if (request.assignedId()) {
            p.add(new MqttProperties.StringProperty(MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER.value(),
                    request.clientId()));
        }
        if (request.keepAliveAdjusted()) {
            p.add(new MqttProperties.IntegerProperty(MqttPropertyType.SERVER_KEEP_ALIVE.value(), request.keepAlive()));
        }
        if (grantedSessionExpiry != requestedSessionExpiry) {
            p.add(new MqttProperties.IntegerProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(),
                    (int) grantedSessionExpiry));
        }
        p.add(new MqttProperties.IntegerProperty(MqttPropertyType.RECEIVE_MAXIMUM.value(), settings.receiveMaximum()));
        p.add(new MqttProperties.IntegerProperty(MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value(),
                settings.topicAliasMaximum()));
        p.add(new MqttProperties.IntegerProperty(MqttPropertyType.MAXIMUM_PACKET_SIZE.value(), settings.maxPacketSize()));
        return MqttMessageBuilders.connAck().returnCode(ok).sessionPresent(sessionPresent).properties(p).build();
    }

    /** Queues a PUBACK, PUBREC, PUBREL or PUBCOMP. */
    void sendReply(MqttMessageType type, int packetId, int reason) {
        connection.send(MqttPacket.pubReply(type, packetId, reason, v5));
    }

    /** The client broke the protocol: the connection ends (MQTT 5: with the reason code), the session stays. */
    void protocolError(BrokerMetrics metrics, MqttReasonCodes.Disconnect code, String reason) {
        metrics.protocolErrors.increment();
        connection.disconnect(code, "protocol error: " + reason);
    }
}
