package io.anchormq.platform.testsupport;

import io.anchormq.anchoring.testsupport.ExternalTools;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the tests' own: a fresh cluster in a temporary directory, on a free port of 127.0.0.1, its
 * unix socket in that directory (so the machine's own clusters are left alone). Started once per JVM, on first use,
 * and stopped and deleted by a shutdown hook, so every test class can share it and take fresh databases of it.
 *
 * <p>Uses the binaries of the newest {@code /usr/lib/postgresql/<version>/bin} (Debian package postgresql); without
 * them the calling tests are skipped, or fail when CI is set. initdb refuses to run as root, so as root the cluster
 * belongs to the {@code postgres} user and the commands run through runuser.
 */
public final class PostgresServer {

    private static final Path INSTALLS = Path.of("/usr/lib/postgresql");
    private static final String USER = "postgres";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static PostgresServer shared;
    private static RuntimeException failedToStart;

    private final Path bin;
    private final Path dir;
    private final int port;

    private PostgresServer(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    /** The bin directory of the newest installed version, if any. */
    public static Optional<Path> binaries() {
        if (!Files.isDirectory(INSTALLS)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(INSTALLS)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparing(PostgresServer::version));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The JVM's server, started on the first call. Skips the calling test (fails it under CI) when PostgreSQL is not
     * installed.
     */
    public static synchronized PostgresServer shared() {
        Optional<Path> bin = binaries();
        ExternalTools.require(bin.isPresent(), "PostgreSQL (" + INSTALLS + "/*/bin/initdb)",
                "apt-get install postgresql");
        if (failedToStart != null) {
            throw failedToStart; // once is enough: every test would wait for the same failure again
        }
        if (shared == null) {
            try {
                shared = start(bin.get());
            } catch (IOException | RuntimeException e) {
                failedToStart = new IllegalStateException("the tests' PostgreSQL server did not start", e);
                throw failedToStart;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return shared;
    }

    private static PostgresServer start(Path bin) throws IOException, InterruptedException {
        // under /tmp, not java.io.tmpdir: every parent directory must be searchable by the postgres user
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "anchormq-pg-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAndDelete(bin, dir), "postgres-stop"));
        if (asRoot()) {
            run(List.of("chown", USER + ":", dir.toString()), dir, 30);
        }
        Path data = dir.resolve("data");
        run(asOwner(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", USER,
                "-E", "UTF8", "--locale=C", "--no-sync")), dir, 120);
        IOException lastFailure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort(); // another process may take it before the server binds it: then another try
            try {
                // fsync off: the server is never killed by these tests, only its clients are
                run(asOwner(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
                        dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                                + " -c max_connections=200", "start")), dir, 90);
                PostgresServer server = new PostgresServer(bin, dir, port);
                server.execute("postgres", "SELECT 1");
                return server;
            } catch (IOException e) {
                lastFailure = e;
            }
        }
        throw lastFailure;
    }

    /** A new, empty database of this server: its JDBC URL (user {@link #user()}, no password). */
    public String createDatabase(String prefix) {
        String name = (prefix + "_" + DATABASES.incrementAndGet()).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        execute("postgres", "CREATE DATABASE " + name);
        return url(name);
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String user() {
        return USER;
    }

    public int port() {
        return port;
    }

    private void execute(String database, String sql) {
        try (Connection c = DriverManager.getConnection(url(database), USER, "");
             Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    private static void stopAndDelete(Path bin, Path dir) {
        try {
            Path data = dir.resolve("data");
            if (Files.exists(data.resolve("postmaster.pid"))) {
                run(asOwner(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w",
                        "stop")), dir, 60);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("stopping the tests' PostgreSQL server: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("deleting " + dir + ": " + e.getMessage());
        }
    }

    private static List<String> asOwner(List<String> command) {
        if (!asRoot()) {
            return command;
        }
        List<String> as = new ArrayList<>(List.of("runuser", "-u", USER, "--"));
        as.addAll(command);
        return as;
    }

    private static boolean asRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Runs {@code command}, its output in {@code dir}/commands.log; fails unless it exits with 0 in time. */
    private static void run(List<String> command, Path dir, long timeoutSeconds)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile("anchormq-pg-command", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no exit within " + timeoutSeconds + " s: "
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
            if (p.exitValue() != 0) {
                String log = Files.readString(output, StandardCharsets.UTF_8);
                Path serverLog = dir.resolve("server.log");
                if (Files.isReadable(serverLog)) {
                    log += "\nserver.log:\n" + Files.readString(serverLog, StandardCharsets.UTF_8);
                }
                throw new IOException(String.join(" ", command) + ": exit " + p.exitValue() + ": " + log);
            }
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static int version(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
