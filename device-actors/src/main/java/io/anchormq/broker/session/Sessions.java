package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.routing.TopicRouter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;

/** The session layer's entry point: starts the session directory and creates one handler per connection. */
public final class Sessions {

    private final SessionRuntime runtime;
    /** Shards of the session directory: enough for connection storms to spawn sessions on every core. */
    private static final int DIRECTORY_SHARDS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private final SessionDirectories directories;
    private final AtomicInteger sessionCount = new AtomicInteger();
    private final Set<MqttConnection> connections = ConcurrentHashMap.newKeySet();

    public Sessions(ActorSystem<?> system, BrokerSettings settings, TopicRouter router, RetainedStore retained,
                    BrokerEvents events, AccessPolicy access, BrokerMetrics metrics, SessionStore store,
                    IntegrityLog integrity) {
        this.runtime = new SessionRuntime(settings, router, retained, events, access, metrics, store, integrity,
                new SubscriptionFence());
        this.directories = new SessionDirectories(system, runtime, sessionCount, DIRECTORY_SHARDS);
    }

    /** Installs the MQTT codec and a connection handler on a freshly accepted channel. */
    public void initChannel(Channel channel) {
        int maxPacketSize = runtime.settings().maxPacketSize();
        ChannelPipeline p = channel.pipeline();
        // batches the flushes of many small acks and deliveries into fewer syscalls
        p.addLast("flushConsolidation", new FlushConsolidationHandler(256, true));
        p.addLast("inspector", new PacketInspector(maxPacketSize));
        p.addLast("decoder", new MqttDecoder(maxPacketSize));
        p.addLast("encoder", MqttEncoder.INSTANCE);
        MqttConnection connection = new MqttConnection(runtime, directories);
        p.addLast("session", connection);
        connections.add(connection);
        channel.closeFuture().addListener(f -> connections.remove(connection));
    }

    /** Tells every connected client that the server is going away (MQTT 5: DISCONNECT 0x8B) and closes it. */
    public void disconnectAll() {
        for (MqttConnection c : connections) {
            c.disconnect(MqttReasonCodes.Disconnect.SERVER_SHUTTING_DOWN, "server shutting down");
        }
    }

    /** SUBSCRIBEs whose registration PUBLISHes stopped waiting for (see SubscriptionFence). */
    public long subscriptionOrderGiveUps() {
        return runtime.fence().expiredTickets();
    }

    /** Sessions that exist now, connected or not. */
    public int count() {
        return sessionCount.get();
    }
}
