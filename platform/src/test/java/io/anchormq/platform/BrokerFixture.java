package io.anchormq.platform;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;

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
                        "anchormq.data-dir", "target/test-data")))
                .withFallback(ConfigFactory.load());
        return new BrokerFixture(AnchormqServer.start(config));
    }

    static BrokerFixture start() {
        return start("");
    }

    int port() {
        return server.mqttPort();
    }

    String tcpUri() {
        return "tcp://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.close();
    }
}
