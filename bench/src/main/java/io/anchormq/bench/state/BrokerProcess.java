package io.anchormq.bench.state;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker started by the state tools as a child process (the command as given, e.g. {@code taskset -c 1 java ...
 * -jar anchormq.jar}; taskset execs, so the child is the broker itself), its output appended to a log file. Knows
 * when it was started, and stops it with SIGTERM or SIGKILL.
 */
final class BrokerProcess {

    private final Process process;
    /** {@link System#nanoTime()} just before the process was started. */
    final long startedNanos;
    /** The wall clock then. */
    final Instant startedAt;

    private BrokerProcess(Process process, long startedNanos, Instant startedAt) {
        this.process = process;
        this.startedNanos = startedNanos;
        this.startedAt = startedAt;
    }

    /** Starts {@code command}, refusing when something already listens on {@code port} (it would be measured instead). */
    static BrokerProcess start(List<String> command, Path log, String host, int port) throws IOException {
        if (accepts(host, port)) {
            throw new IOException("port " + port + " is taken by another process: choose another");
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (log != null) {
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        Instant at = Instant.now();
        long t0 = System.nanoTime();
        return new BrokerProcess(pb.start(), t0, at);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Seconds since the start. */
    double since(long nanos) {
        return (nanos - startedNanos) / 1e9;
    }

    /**
     * Polls until the port accepts a TCP connection; returns that moment ({@link System#nanoTime()}).
     *
     * @throws IOException when the process exits first or the timeout passes
     */
    long awaitPort(String host, int port, double timeoutSeconds) throws IOException {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                throw new IOException("the broker exited (status " + process.exitValue() + ") before opening port " + port);
            }
            if (accepts(host, port)) {
                return System.nanoTime();
            }
            sleep(5);
        }
        throw new IOException("the broker did not open port " + port + " within " + timeoutSeconds + " s");
    }

    static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** kill -9; returns once the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL on Linux
        process.waitFor();
    }

    /** SIGTERM, then SIGKILL after {@code graceSeconds}; returns how long the clean stop took (NaN if it was killed). */
    double stop(double graceSeconds) throws InterruptedException {
        long t = System.nanoTime();
        process.destroy(); // SIGTERM
        if (process.waitFor((long) (graceSeconds * 1000), TimeUnit.MILLISECONDS)) {
            return (System.nanoTime() - t) / 1e9;
        }
        kill();
        return Double.NaN;
    }

    /** The JVM's heap in use, in MB (jcmd GC.heap_info), after a full collection first when {@code live}. */
    Double heapUsedMb(boolean live) {
        // jcmd attaches with SIGQUIT, which ends a process that is not a JVM (Mosquitto) on the spot
        if (!isJvm()) {
            return null;
        }
        try {
            if (live) {
                jcmd("GC.run");
            }
            return heapUsedMb(jcmd("GC.heap_info"));
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    /** Whether the process runs a java executable. */
    boolean isJvm() {
        try {
            return Path.of("/proc/" + pid() + "/exe").toRealPath().getFileName().toString().equals("java");
        } catch (IOException e) {
            return false;
        }
    }

    /** Its resident set (VmRSS), MB. */
    Double rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return null;
    }

    private static final Pattern USED = Pattern.compile("total \\d+K, used (\\d+)K");

    /**
     * The sum of "used" over the heap's top-level lines of GC.heap_info (serial: def new generation, tenured
     * generation; G1: garbage-first heap; parallel: PSYoungGen, ParOldGen), not metaspace.
     */
    static Double heapUsedMb(String heapInfo) {
        long kb = 0;
        boolean any = false;
        for (String line : heapInfo.split("\n")) {
            String l = line.trim().toLowerCase(Locale.ROOT);
            if (l.startsWith("metaspace") || l.startsWith("class space")) {
                continue;
            }
            Matcher m = USED.matcher(line);
            if (m.find()) {
                kb += Long.parseLong(m.group(1));
                any = true;
            }
        }
        return any ? kb / 1024.0 : null;
    }

    private String jcmd(String what) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        List<String> cmd = new ArrayList<>(List.of(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd",
                Long.toString(pid()), what));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
