package io.anchormq.platform;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.UUID;

/** Starts a real broker on an ephemeral loopback port for integration tests. */
final class BrokerFixture implements AutoCloseable {

    private final AnchormqServer server;

    private BrokerFixture(AnchormqServer server) {
        this.server = server;
    }

    /** A broker with default settings plus the given HOCON overrides (may be empty). */
    static BrokerFixture start(String hoconOverrides) {
        Config config = ConfigFactory.parseString(hoconOverrides)
                .withFallback(ConfigFactory.parseMap(Map.of(
                        "anchormq.mqtt.host", "127.0.0.1",
                        "anchormq.mqtt.port", 0,
                        "anchormq.http.host", "127.0.0.1",
                        "anchormq.http.port", 0,
                        // each broker its own directory: the integrity log allows one process per directory
                        "anchormq.data-dir", "target/test-data/" + UUID.randomUUID())))
                .withFallback(ConfigFactory.load());
        return new BrokerFixture(AnchormqServer.start(config));
    }

    static BrokerFixture start() {
        return start("");
    }

    int port() {
        return server.mqttPort();
    }

    int httpPort() {
        return server.httpPort();
    }

    AnchormqServer server() {
        return server;
    }

    String tcpUri() {
        return "tcp://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.close();
    }
}
