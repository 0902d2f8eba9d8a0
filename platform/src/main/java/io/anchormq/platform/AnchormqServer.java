package io.anchormq.platform;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.anchormq.broker.Broker;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.session.InMemorySessionStore;
import io.anchormq.broker.session.SessionStore;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.platform.anchoring.AnchoringService;
import io.anchormq.platform.anchoring.AnchoringSettings;
import io.anchormq.platform.http.HttpServer;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runnable anchormq platform: configuration, the actor system, the integrity log, the broker, its MQTT listener
 * and the HTTP API.
 */
public final class AnchormqServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AnchormqServer.class);

    private final ActorSystem<Void> system;
    private final AnchoringService anchoring;
    private final Broker broker;
    private final MqttListener mqtt;
    private final HttpServer http;

    private AnchormqServer(ActorSystem<Void> system, AnchoringService anchoring, Broker broker, MqttListener mqtt,
                           HttpServer http) {
        this.system = system;
        this.anchoring = anchoring;
        this.broker = broker;
        this.mqtt = mqtt;
        this.http = http;
    }

    /** Starts everything with in-memory storage; {@code config} is the full configuration (defaults included). */
    public static AnchormqServer start(Config config) {
        return start(config, new InMemorySessionStore(), new InMemoryRetainedStore());
    }

    /** Starts everything with the given stores; sessions found in the session store are restored. */
    public static AnchormqServer start(Config config, SessionStore sessionStore, RetainedStore retainedStore) {
        Path dataDir = Path.of(config.getString("anchormq.data-dir"));
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir.toAbsolutePath(), e);
        }
        BrokerSettings settings = BrokerSettings.from(config);
        AnchoringSettings anchoringSettings = AnchoringSettings.from(config);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "anchormq", config);
        IntegrityLogs logs = null;
        AnchoringService anchoring = null;
        MqttListener mqtt = null;
        EventLoopGroup eventLoops = MqttListener.eventLoops(config.getInt("anchormq.mqtt.io-threads"),
                config.getBoolean("anchormq.mqtt.native-transport"));
        try {
            if (anchoringSettings.enabled()) {
                try {
                    logs = IntegrityLogs.start(system, anchoringSettings);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot start chain anchoring: " + e.getMessage(), e);
                }
                anchoring = logs.open(ClientIdentity.DEFAULT_WORKSPACE);
            }
            Broker broker = new Broker(system, settings, Authenticator.ANONYMOUS,
                    new PlatformWorkspaces(logs, Broker.accessPolicyOf(settings), sessionStore, retainedStore),
                    eventLoops);
            mqtt = MqttListener.bind(broker, eventLoops, config.getString("anchormq.mqtt.host"),
                    config.getInt("anchormq.mqtt.port"));
            HttpServer http = HttpServer.bind(system, config.getString("anchormq.http.host"),
                    config.getInt("anchormq.http.port"), anchoring);
            log.info("anchormq MQTT listener on {}:{} ({}), HTTP API on {}:{} (data directory {})",
                    config.getString("anchormq.mqtt.host"), mqtt.port(), mqtt.transport(),
                    config.getString("anchormq.http.host"), http.port(), dataDir.toAbsolutePath());
            return new AnchormqServer(system, anchoring, broker, mqtt, http);
        } catch (RuntimeException e) {
            if (logs != null) {
                logs.close();
            }
            terminate(system);
            if (mqtt != null) {
                mqtt.close();
            } else {
                eventLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            }
            throw e;
        }
    }

    public int mqttPort() {
        return mqtt.port();
    }

    public Broker broker() {
        return broker;
    }

    public int httpPort() {
        return http.port();
    }

    /** The integrity log, or null when it is switched off. */
    public AnchoringService anchoring() {
        return anchoring;
    }

    @Override
    public void close() {
        mqtt.stopAccepting();
        broker.shutdown();
        http.close();
        if (anchoring != null) {
            anchoring.close();
        }
        // the sessions run on the listener's event loops: the loops go last
        terminate(system);
        mqtt.close();
    }

    private static void terminate(ActorSystem<?> system) {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("actor system did not terminate in time", e);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        AnchormqServer server;
        try {
            server = start(ConfigFactory.load());
        } catch (RuntimeException e) {
            log.error("anchormq did not start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "anchormq-shutdown"));
        Thread.currentThread().join();
    }

}
