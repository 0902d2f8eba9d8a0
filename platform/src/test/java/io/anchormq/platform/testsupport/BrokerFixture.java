package io.anchormq.platform.testsupport;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.anchormq.platform.AnchormqServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/** Starts a real broker with every listener on an ephemeral loopback port, for integration tests. */
public final class BrokerFixture implements AutoCloseable {

    private final AnchormqServer server;
    private final Path dataDir;

    private BrokerFixture(AnchormqServer server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    /** A broker with default settings plus the given HOCON overrides (may be empty). */
    public static BrokerFixture start(String hoconOverrides) {
        String defaultDataDir = "target/test-data/" + UUID.randomUUID();
        Config config = ConfigFactory.parseString(hoconOverrides)
                .withFallback(ConfigFactory.parseMap(Map.ofEntries(
                        Map.entry("anchormq.mqtt.host", "127.0.0.1"),
                        Map.entry("anchormq.mqtt.port", 0),
                        Map.entry("anchormq.listeners.mqtts.host", "127.0.0.1"),
                        Map.entry("anchormq.listeners.mqtts.port", 0),
                        Map.entry("anchormq.listeners.ws.host", "127.0.0.1"),
                        Map.entry("anchormq.listeners.ws.port", 0),
                        Map.entry("anchormq.listeners.wss.host", "127.0.0.1"),
                        Map.entry("anchormq.listeners.wss.port", 0),
                        Map.entry("anchormq.http.host", "127.0.0.1"),
                        Map.entry("anchormq.http.port", 0),
                        // each broker its own directory: the integrity log allows one process per directory
                        Map.entry("anchormq.data-dir", defaultDataDir))))
                .withFallback(ConfigFactory.load());
        return new BrokerFixture(AnchormqServer.start(config), Path.of(config.getString("anchormq.data-dir")));
    }

    public static BrokerFixture start() {
        return start("");
    }

    public int port() {
        return server.mqttPort();
    }

    /** The port of the listener {@code name}: "mqtt", "mqtts", "ws" or "wss". */
    public int listenerPort(String name) {
        return server.listenerPort(name);
    }

    /** The CA certificate (PEM) clients trust the TLS listeners with; its key is beside it, ca.key. */
    public Path caCertificate() {
        return server.pki().caCertificateFile();
    }

    public int httpPort() {
        return server.httpPort();
    }

    /** The broker's data directory (its integrity log is under {@code log/default}). */
    public Path dataDir() {
        return dataDir;
    }

    public AnchormqServer server() {
        return server;
    }

    public String tcpUri() {
        return "tcp://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.close();
    }
}
