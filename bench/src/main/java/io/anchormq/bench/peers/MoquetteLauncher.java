package io.anchormq.bench.peers;

import io.anchormq.bench.loadgen.Loopback;
import io.moquette.broker.Server;
import io.moquette.broker.config.IConfig;
import io.moquette.broker.config.MemoryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Moquette 0.17, embedded, on a loopback port: the peer Java broker of the side-by-side runs. */
@Command(name = "moquette", mixinStandardHelpOptions = true,
        description = "Run Moquette 0.17 (in memory, anonymous, no telemetry) on a loopback port until killed.")
public final class MoquetteLauncher implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Loopback address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "1885", description = "Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--max-message-size", defaultValue = "1048576",
            description = "Largest packet accepted, as anchormq's default (default: ${DEFAULT-VALUE}).")
    int maxMessageSize;

    @Option(names = "--session-queue-size", defaultValue = "1024",
            description = "Per-session queue, Moquette's default (default: ${DEFAULT-VALUE}).")
    int sessionQueueSize;

    /** Moquette's settings for a fair, quiet, local run. */
    static Properties settings(String host, int port, int maxMessageSize, int sessionQueueSize, Path dataDir) {
        Properties p = new Properties();
        p.setProperty(IConfig.HOST_PROPERTY_NAME, host);
        p.setProperty(IConfig.PORT_PROPERTY_NAME, Integer.toString(port));
        p.setProperty(IConfig.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
        p.setProperty(IConfig.PERSISTENCE_ENABLED_PROPERTY_NAME, "false");
        p.setProperty(IConfig.DATA_PATH_PROPERTY_NAME, dataDir.toString());
        // on by default in 0.17: it would report to a collector on the internet at start-up
        p.setProperty(IConfig.ENABLE_TELEMETRY_NAME, "false");
        p.setProperty(IConfig.NETTY_MAX_BYTES_PROPERTY_NAME, Integer.toString(maxMessageSize));
        p.setProperty(IConfig.SESSION_QUEUE_SIZE, Integer.toString(sessionQueueSize));
        p.setProperty(IConfig.WEB_SOCKET_PORT_PROPERTY_NAME, "disabled");
        return p;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Loopback.require(host);
        Path dataDir = Files.createTempDirectory("moquette-bench");
        Server server = new Server();
        server.startServer(new MemoryConfig(settings(host, port, maxMessageSize, sessionQueueSize, dataDir)));
        System.out.println("Moquette " + Server.MOQUETTE_VERSION + " listening on " + host + ":" + port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stopServer();
            stopped.countDown();
        }, "moquette-stop"));
        stopped.await();
        return 0;
    }
}
