package io.anchormq.platform;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.anchormq.broker.Broker;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.retained.InMemoryRetainedStore;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.session.InMemorySessionStore;
import io.anchormq.broker.session.SessionStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The runnable anchormq platform: configuration, the actor system, the broker and its listeners. */
public final class AnchormqServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AnchormqServer.class);

    private final ActorSystem<Void> system;
    private final Broker broker;
    private final MqttListener mqtt;

    private AnchormqServer(ActorSystem<Void> system, Broker broker, MqttListener mqtt) {
        this.system = system;
        this.broker = broker;
        this.mqtt = mqtt;
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
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "anchormq", config);
        try {
            Broker broker = new Broker(system, settings, Broker.accessPolicyOf(settings), sessionStore, retainedStore);
            MqttListener mqtt = MqttListener.bind(broker, config.getString("anchormq.mqtt.host"),
                    config.getInt("anchormq.mqtt.port"));
            log.info("anchormq MQTT listener on {}:{} (data directory {})", config.getString("anchormq.mqtt.host"),
                    mqtt.port(), dataDir.toAbsolutePath());
            return new AnchormqServer(system, broker, mqtt);
        } catch (RuntimeException e) {
            system.terminate();
            throw e;
        }
    }

    public int mqttPort() {
        return mqtt.port();
    }

    public Broker broker() {
        return broker;
    }

    @Override
    public void close() {
        mqtt.stopAccepting();
        broker.shutdown();
        mqtt.close();
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("actor system did not terminate in time", e);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        AnchormqServer server = start(ConfigFactory.load());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "anchormq-shutdown"));
        Thread.currentThread().join();
    }

}
