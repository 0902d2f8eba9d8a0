package io.anchormq.broker.connection;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.routing.SubscriptionFence;
import io.anchormq.broker.session.Sessions;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The connection layer's entry point: sets up accepted channels to speak MQTT to the sessions, and ends them all. */
public final class MqttChannels {

    private final BrokerSettings settings;
    private final BrokerMetrics metrics;
    private final SubscriptionFence fence;
    private final ConnectChecks checks;
    private final Sessions sessions;
    private final Set<MqttConnection> connections = ConcurrentHashMap.newKeySet();

    public MqttChannels(BrokerSettings settings, BrokerMetrics metrics, AccessPolicy access, SubscriptionFence fence,
                        Sessions sessions) {
        this.settings = settings;
        this.metrics = metrics;
        this.fence = fence;
        this.checks = new ConnectChecks(settings, access);
        this.sessions = sessions;
    }

    /** Installs the MQTT codec and a connection handler on a freshly accepted channel. */
    public void initChannel(Channel channel) {
        int maxPacketSize = settings.maxPacketSize();
        ChannelPipeline p = channel.pipeline();
        // batches the flushes of many small acks and deliveries into fewer syscalls
        p.addLast("flushConsolidation", new FlushConsolidationHandler(256, true));
        p.addLast("inspector", new PacketInspector(maxPacketSize));
        p.addLast("decoder", new MqttDecoder(maxPacketSize));
        p.addLast("encoder", MqttEncoder.INSTANCE);
        MqttConnection connection = new MqttConnection(channel, settings, metrics, fence, checks, sessions);
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
}
