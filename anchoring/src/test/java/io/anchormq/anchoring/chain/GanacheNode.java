package io.anchormq.anchoring.chain;

import io.anchormq.anchoring.testsupport.ExternalTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real local chain for tests: the npm package ganache 7.9.2, started as a child process on a free loopback port,
 * with its chain kept in {@code dataDir} so that it survives {@link #stop()} and {@link #start()} (an outage, not a
 * reset). Deterministic wallet; chain id 1337. Tests are skipped when ganache is not installed, unless {@code CI}
 * is set: CI installs it, so there its absence fails. Public (and in the module's test jar) for the platform's
 * end-to-end tests.
 */
public final class GanacheNode implements AutoCloseable {

    public static final long CHAIN_ID = 1337;
    /** Account 0 of ganache's deterministic wallet (mnemonic "myth like bonus scare ..."), printed by ganache. */
    public static final String KEY = "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
    static final String ADDRESS = "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path executable;
    private final Path dataDir;
    private final Path logFile;
    private final int port;
    private Process process;

    private GanacheNode(Path executable, Path dataDir, int port) {
        this.executable = executable;
        this.dataDir = dataDir;
        this.logFile = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        this.port = port;
    }

    /** A node on a free port, not started yet; skips (or, under CI, fails) the test when ganache is missing. */
    public static GanacheNode create(Path dataDir) {
        Optional<Path> executable = ExternalTools.onPath("ganache");
        ExternalTools.require(executable.isPresent(), "ganache", "npm install -g ganache@7.9.2");
        return new GanacheNode(executable.get(), dataDir, freePort());
    }

    /** Starts (or restarts, on the same port and chain) and waits until it serves JSON-RPC. */
    public GanacheNode start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        try {
            Files.createDirectories(dataDir);
            ProcessBuilder builder = new ProcessBuilder(List.of(executable.toString(),
                    "--wallet.deterministic", "--server.host", "127.0.0.1", "--server.port", Integer.toString(port),
                    "--chain.chainId", Long.toString(CHAIN_ID), "--database.dbPath", dataDir.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
            process = builder.start();
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (!log(logStart).contains("RPC Listening on")) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("ganache exited with " + process.exitValue() + ":\n" + log(logStart));
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("ganache not listening after " + START_TIMEOUT + ":\n" + log(logStart));
                }
                Thread.sleep(100);
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops it gracefully (SIGTERM), so that its chain is on disk for the next {@link #start()}. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() {
        stop();
    }

    private String log(long from) throws IOException {
        byte[] all = Files.readAllBytes(logFile);
        return new String(all, (int) from, all.length - (int) from, StandardCharsets.UTF_8);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
