package io.anchormq.broker.session;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A session's view of the network connection its client is on: all a session needs of the socket side. The
 * connection package implements it; a session never sees Netty's channel. Callable from any thread.
 */
public interface ClientConnection {

    /** Why a session stops reading a connection's socket for a while. */
    enum ReadHold {
        /** Too many of the connection's publishes wait for the integrity log. */
        INTEGRITY_LOG,
        /** The connection's messages go to subscribers whose queues are full (back-pressure). */
        CONGESTED_SUBSCRIBERS,
        /** The workspace's inbound message or byte rate is overdrawn: read again once it has refilled. */
        RATE_QUOTA
    }

    boolean isMqtt5();

    /** The client's address as {@code host:port}, for events and logs. */
    String remoteAddress();

    /** The session took this connection: packets read meanwhile, and all later ones, go to {@code session}. */
    void attached(ActorRef<SessionActor.Command> session);

    /** Queues a packet for the next {@link #flush}. */
    void send(MqttMessage packet);

    /** Writes what {@link #send} queued until now. */
    void flush();

    /** Whether more may be sent now; when not, a {@link SessionActor.Writable} follows once it may. */
    boolean isWritable();

    /** Pauses (or resumes) reading the socket for one reason; reading resumes once no reason is left. */
    void holdReading(ReadHold reason, boolean hold);

    /** The session has handled one packet of this connection (the connection bounds how many are unhandled). */
    void processed();

    /** The connection is ending: its packets are no longer answered. */
    boolean isClosing();

    /** Ends the connection from the server's side; MQTT 5 clients are told why with a DISCONNECT first. */
    void disconnect(MqttReasonCodes.Disconnect code, String reason);

    /** Ends the connection after the client's own DISCONNECT. */
    void closeGracefully(String reason);
}
