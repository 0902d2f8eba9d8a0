package io.anchormq.broker.connection;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.Workspace;
import io.anchormq.broker.auth.Authenticator;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.routing.SubscriptionFence;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/** The connection layer's entry point: sets up accepted channels to speak MQTT to the sessions, and ends them all. */
public final class MqttChannels {

    private final BrokerSettings settings;
    private final BrokerMetrics metrics;
    private final SubscriptionFence fence;
    private final ConnectChecks checks;
    private final Authenticator authenticator;
    private final Function<String, Workspace> workspaces;
    private final Function<String, Workspace> openWorkspaces;
    private final Set<MqttConnection> connections = ConcurrentHashMap.newKeySet();

    /**
     * @param metrics counts connections before they belong to a workspace
     * @param workspaces the workspace authentication chose, by its id (opened if need be)
     * @param openWorkspaces the workspace of that id if it is open, else null
     */
    public MqttChannels(BrokerSettings settings, BrokerMetrics metrics, SubscriptionFence fence,
                        Authenticator authenticator, Function<String, Workspace> workspaces,
                        Function<String, Workspace> openWorkspaces) {
        this.settings = settings;
        this.metrics = metrics;
        this.fence = fence;
        this.checks = new ConnectChecks(settings);
        this.authenticator = authenticator;
        this.workspaces = workspaces;
        this.openWorkspaces = openWorkspaces;
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
        MqttConnection connection = new MqttConnection(channel, settings, metrics, fence, checks, authenticator,
                workspaces, openWorkspaces);
        p.addLast("session", connection);
        connections.add(connection);
        channel.closeFuture().addListener(f -> connections.remove(connection));
    }

    /** Disconnects the clients whose identity matches; returns how many. */
    public int disconnect(Predicate<ClientIdentity> which, MqttReasonCodes.Disconnect code, String reason) {
        int n = 0;
        for (MqttConnection c : connections) {
            ClientIdentity identity = c.identity();
            if (identity != null && which.test(identity)) {
                c.disconnectFromOutside(code, reason);
                n++;
            }
        }
        return n;
    }

    /** Tells every connected client that the server is going away (MQTT 5: DISCONNECT 0x8B) and closes it. */
    public void disconnectAll() {
        for (MqttConnection c : connections) {
            c.disconnect(MqttReasonCodes.Disconnect.SERVER_SHUTTING_DOWN, "server shutting down");
        }
    }
}
