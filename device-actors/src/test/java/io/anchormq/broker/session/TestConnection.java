package io.anchormq.broker.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The session's port to a network connection, implemented for tests: it records what the session sends, holds and
 * ends, and lets a test send packets as a connection would (to the session it was attached to).
 */
final class TestConnection implements ClientConnection {

    /** How the session ended this connection. */
    record Ending(MqttReasonCodes.Disconnect code, String reason, boolean graceful) {
    }

    private final boolean mqtt5;
    private final BlockingQueue<MqttMessage> sent = new LinkedBlockingQueue<>();
    private final CompletableFuture<ActorRef<SessionActor.Command>> session = new CompletableFuture<>();
    private final CompletableFuture<Ending> ending = new CompletableFuture<>();
    private final Set<ReadHold> holds = EnumSet.noneOf(ReadHold.class);
    private final AtomicInteger processed = new AtomicInteger();
    private volatile boolean writable = true;

    TestConnection(boolean mqtt5) {
        this.mqtt5 = mqtt5;
    }

    // ---- the port ----------------------------------------------------------------------------------------

    @Override
    public boolean isMqtt5() {
        return mqtt5;
    }

    @Override
    public String remoteAddress() {
        return "127.0.0.1:1";
    }

    @Override
    public void attached(ActorRef<SessionActor.Command> ref) {
        session.complete(ref);
    }

    @Override
    public void send(MqttMessage packet) {
        sent.add(packet);
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    @Override
    public synchronized void holdReading(ReadHold reason, boolean hold) {
        if (hold) {
            holds.add(reason);
        } else {
            holds.remove(reason);
        }
    }

    @Override
    public void processed() {
        processed.incrementAndGet();
    }

    @Override
    public boolean isClosing() {
        return ending.isDone();
    }

    @Override
    public void disconnect(MqttReasonCodes.Disconnect code, String reason) {
        ending.complete(new Ending(code, reason, false));
    }

    @Override
    public void closeGracefully(String reason) {
        ending.complete(new Ending(null, reason, true));
    }

    // ---- for the test ------------------------------------------------------------------------------------

    ActorRef<SessionActor.Command> session() {
        return session.orTimeout(5, TimeUnit.SECONDS).join();
    }

    /** Sends a packet to the session as the connection's event loop would. */
    void receive(InboundPacket packet) {
        session().tell(new SessionActor.Inbound(this, packet));
    }

    /** The socket closed under the session. */
    void lose(String reason) {
        ending.complete(new Ending(null, reason, false));
        session().tell(new SessionActor.ConnectionLost(this, reason, false));
    }

    void writable(boolean isWritable) {
        writable = isWritable;
        if (isWritable) {
            session().tell(new SessionActor.Writable(this));
        }
    }

    synchronized boolean isHeld(ReadHold reason) {
        return holds.contains(reason);
    }

    int processedCount() {
        return processed.get();
    }

    /** The next packet the session sent, waiting up to 5 s. */
    MqttMessage next() throws InterruptedException {
        MqttMessage m = sent.poll(5, TimeUnit.SECONDS);
        assertNotNull(m, "nothing sent within 5 s");
        return m;
    }

    /** The next packet, which must be of {@code type}. */
    MqttMessage next(MqttMessageType type) throws InterruptedException {
        MqttMessage m = next();
        assertEquals(type, m.fixedHeader().messageType(), "sent " + m);
        return m;
    }

    /** Asserts that the session sends nothing (more) within {@code millis}. */
    void assertNothingSent(long millis) throws InterruptedException {
        assertNull(sent.poll(millis, TimeUnit.MILLISECONDS), "unexpected packet");
    }

    /** How the session ended this connection, waiting up to 5 s. */
    Ending ending() {
        return ending.orTimeout(5, TimeUnit.SECONDS).join();
    }

    boolean hasEnded() {
        return ending.isDone();
    }
}
