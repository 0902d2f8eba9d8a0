package io.anchormq.platform.crash;

import io.anchormq.anchoring.testsupport.ChildJvm;
import io.anchormq.platform.AnchormqServer;
import io.anchormq.platform.testsupport.LogHttp;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The platform in a child JVM, started as the README's java -jar does, on the test classpath, to be killed. */
final class ChildPlatform {
    final Process process;
    final int mqttPort;
    final int httpPort;
    final Path logFile;

    private ChildPlatform(Process process, int mqttPort, int httpPort, Path logFile) {
        this.process = process;
        this.mqttPort = mqttPort;
        this.httpPort = httpPort;
        this.logFile = logFile;
    }

    /** Starts it on {@code data} with {@code extraConfig} (HOCON) and waits until its HTTP API answers. */
    static ChildPlatform start(Path dir, Path data, String extraConfig) throws Exception {
        return start(dir, data, extraConfig, freePort(), freePort());
    }

    /** As {@link #start(Path, Path, String)}, on these ports: clients reconnect to where they were. */
    static ChildPlatform start(Path dir, Path data, String extraConfig, int mqtt, int http) throws Exception {
        Path conf = Files.writeString(Files.createTempFile(dir, "crash", ".conf"), """
                include classpath("application.conf")
                anchormq.mqtt.host = "127.0.0.1"
                anchormq.http.host = "127.0.0.1"
                """ + extraConfig);
        Path logFile = dir.resolve("platform-" + mqtt + ".log");
        Process p = ChildJvm.of(List.of("-Dconfig.file=" + conf, "-Danchormq.data-dir=" + data,
                        "-Danchormq.mqtt.port=" + mqtt, "-Danchormq.http.port=" + http), AnchormqServer.class)
                .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        ChildPlatform platform = new ChildPlatform(p, mqtt, http, logFile);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                if (LogHttp.get(http, "/checkpoint").statusCode() == 200) {
                    return platform;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("platform did not start: " + Files.readString(logFile));
            }
            Thread.sleep(100);
        }
    }

    void kill() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
        process.waitFor(30, TimeUnit.SECONDS);
    }

    String log() throws IOException {
        return Files.readString(logFile);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
