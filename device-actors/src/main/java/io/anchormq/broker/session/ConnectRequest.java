package io.anchormq.broker.session;

import io.anchormq.broker.auth.ClientIdentity;
import io.netty.handler.codec.mqtt.MqttConnectMessage;

/**
 * A connection whose CONNECT passed the connection's checks asks for the session of its client id. The same
 * request goes from the connection through the session directory to the session.
 *
 * @param assignedId the client id was made up by the broker and must be reported in CONNACK (5.0)
 * @param generatedId the client id was made up by the broker (either version)
 * @param keepAlive the keep alive in force, in seconds
 * @param keepAliveAdjusted the broker changed the client's keep alive and must say so in CONNACK (5.0)
 * @param identity who authentication said the client is
 */
public record ConnectRequest(ClientConnection connection, MqttConnectMessage connect, String clientId,
                             boolean assignedId, boolean generatedId, int keepAlive, boolean keepAliveAdjusted,
                             ClientIdentity identity)
        implements SessionDirectory.Command {

    /** An anonymous client of the default workspace. */
    public ConnectRequest(ClientConnection connection, MqttConnectMessage connect, String clientId,
                          boolean assignedId, boolean generatedId, int keepAlive, boolean keepAliveAdjusted) {
        this(connection, connect, clientId, assignedId, generatedId, keepAlive, keepAliveAdjusted,
                ClientIdentity.anonymous(ClientIdentity.DEFAULT_WORKSPACE, null));
    }
}
