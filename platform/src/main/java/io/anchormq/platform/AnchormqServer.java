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
import io.anchormq.platform.listeners.MqttListeners;
import io.anchormq.platform.pki.PlatformCa;
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
 * The runnable anchormq platform: configuration, the actor system, the integrity log, the broker, the platform CA,
 * the MQTT listeners and the HTTP API.
 */
public final class AnchormqServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AnchormqServer.class);

    private final ActorSystem<Void> system;
    private final AnchoringService anchoring;
    private final Broker broker;
    private final PlatformCa pki;
    private final MqttListeners mqtt;
    private final HttpServer http;

    private AnchormqServer(ActorSystem<Void> system, AnchoringService anchoring, Broker broker, PlatformCa pki,
                           MqttListeners mqtt, HttpServer http) {
        this.system = system;
        this.anchoring = anchoring;
        this.broker = broker;
        this.pki = pki;
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
        // before anything starts: a CA that cannot be read or made is a configuration error
        PlatformCa pki = PlatformCa.open(config);
        BrokerSettings settings = BrokerSettings.from(config);
        AnchoringSettings anchoringSettings = AnchoringSettings.from(config);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "anchormq", config);
        AnchoringService anchoring = null;
        MqttListeners mqtt = null;
        EventLoopGroup eventLoops = MqttListeners.eventLoops(config.getInt("anchormq.mqtt.io-threads"),
                config.getBoolean("anchormq.mqtt.native-transport"));
        try {
            if (anchoringSettings.enabled()) {
                try {
                    anchoring = AnchoringService.start(system, anchoringSettings);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open the integrity log in "
                            + anchoringSettings.logDirectory().toAbsolutePath() + ": " + e.getMessage(), e);
                }
            }
            IntegrityLog integrity = anchoring == null ? IntegrityLog.NONE : anchoring;
            Broker broker = new Broker(system, settings, Broker.accessPolicyOf(settings), sessionStore, retainedStore,
                    integrity, eventLoops);
            mqtt = MqttListeners.bind(broker, eventLoops, config, pki);
            HttpServer http = HttpServer.bind(system, config.getString("anchormq.http.host"),
                    config.getInt("anchormq.http.port"), anchoring);
            mqtt.descriptions().forEach(log::info);
            log.info("anchormq HTTP API on {}:{} (data directory {}, CA certificate {})",
                    config.getString("anchormq.http.host"), http.port(), dataDir.toAbsolutePath(),
                    pki.caCertificateFile().toAbsolutePath());
            return new AnchormqServer(system, anchoring, broker, pki, mqtt, http);
        } catch (RuntimeException e) {
            if (anchoring != null) {
                anchoring.close();
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

    /** The plain MQTT listener's port. */
    public int mqttPort() {
        return mqtt.port("mqtt");
    }

    /** The port of the MQTT listener {@code name}: "mqtt", "mqtts", "ws" or "wss" (it must be enabled). */
    public int listenerPort(String name) {
        return mqtt.port(name);
    }

    /** The platform CA: device certificates from CSRs, revocation, the CRL, the CA certificate. */
    public PlatformCa pki() {
        return pki;
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
