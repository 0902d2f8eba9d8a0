package io.anchormq.broker.events;

import java.time.Instant;

/** What sessions report on the internal event stream (presence, contracts and anchoring consume it). */
public sealed interface BrokerEvent {

    String clientId();

    /**
     * A connection was attached to the session.
     *
     * @param generatedId the broker made the client id up (the client sent an empty one)
     */
    record Connected(String clientId, long sessionVersion, String protocol, boolean sessionPresent,
                     boolean generatedId, String remoteAddress, Instant at) implements BrokerEvent {
    }

    /** The connection of the session ended; {@code reason} says why in words. */
    record Disconnected(String clientId, long sessionVersion, String reason, boolean graceful, Instant at)
            implements BrokerEvent {
    }

    /**
     * A PUBLISH was accepted from a client (after access checks; QoS 2 once, not per retransmission).
     *
     * @param packetId the client's packet identifier, 0 for QoS 0
     */
    record MessageAccepted(String clientId, String topic, int qos, boolean retain, byte[] payload, int packetId,
                           Instant receivedAt) implements BrokerEvent {
    }
}
