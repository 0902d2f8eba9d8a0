package io.anchormq.broker.connection;

import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.session.InboundPacket;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * What a connection reads while its session is being found: nothing may reach the client before the session's
 * CONNACK (MQTT-3.2.0-1), and no packet may reach a session before it has the connection. PINGREQs are answered,
 * packets forwarded and a failure acted on once the session has attached. Event loop only.
 */
final class ReadBeforeConnAck {

    private final SubscriptionFence fence;
    private final ArrayDeque<InboundPacket> packets = new ArrayDeque<>();
    private int pings;
    /** The first failure found; the connection ends with it, so what is read after it is dropped. */
    private Runnable failure;

    ReadBeforeConnAck(SubscriptionFence fence) {
        this.fence = fence;
    }

    boolean hasFailed() {
        return failure != null;
    }

    void add(InboundPacket packet) {
        packets.add(packet);
    }

    void ping() {
        pings++;
    }

    void fail(Runnable action) {
        if (failure == null) {
            failure = action;
        }
    }

    /** In the order a client can tell: the pings' answers, the packets as long as {@code open}, then the failure. */
    void handOver(Runnable answerPing, Consumer<InboundPacket> forward, BooleanSupplier open) {
        for (; pings > 0; pings--) {
            answerPing.run();
        }
        while (!packets.isEmpty() && open.getAsBoolean()) {
            forward.accept(packets.poll());
        }
        drop();
        Runnable f = failure;
        failure = null;
        if (f != null) {
            f.run();
        }
    }

    /** Packets that will never reach the session: SUBSCRIBEs give their fence tickets back. */
    void drop() {
        for (InboundPacket p : packets) {
            if (p instanceof InboundPacket.Subscribe s) {
                fence.subscribeDone(s.ticket());
            }
        }
        packets.clear();
    }
}
