package io.anchormq.platform.interop;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.anchormq.anchoring.testsupport.ExternalTools;
import io.anchormq.platform.testsupport.BrokerFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Interop with the mosquitto command-line clients (Debian package mosquitto-clients) for MQTT 3.1.1 and 5.0.
 * Missing binaries: the class fails when the environment variable CI is set, otherwise it is skipped.
 */
@Timeout(60)
class MosquittoInteropTest {

    private static final long PROCESS_TIMEOUT_S = 10;
    /** Prefix of every message line printed by mosquitto_sub -F, to tell them apart from -d debug lines. */
    private static final String MSG = "MSG|";

    private static BrokerFixture broker;
    private static String stdbuf; // line-buffers mosquitto_sub stdout when available

    private final List<MosquittoProcess> processes = new ArrayList<>();
    private String topicPrefix;

    @BeforeAll
    static void requireBinariesAndStartBroker() {
        ExternalTools.require(ExternalTools.onPath("mosquitto_sub").isPresent()
                && ExternalTools.onPath("mosquitto_pub").isPresent(), "mosquitto_pub/mosquitto_sub",
                "apt-get install mosquitto-clients");
        stdbuf = ExternalTools.onPath("stdbuf").map(Path::toString).orElse(null);
        broker = BrokerFixture.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void uniqueTopic() {
        topicPrefix = "mq/" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void destroyProcesses() {
        for (MosquittoProcess p : processes) {
            p.destroy();
        }
    }

    // ------------------------------------------------------------------------------------------------ processes

    /** A running mosquitto client whose stdout lines are collected by a reader thread. */
    private static final class MosquittoProcess {
        final Process process;
        final List<String> stdout = new CopyOnWriteArrayList<>();
        final StringBuilder stderr = new StringBuilder();
        final String command;

        MosquittoProcess(List<String> command) throws IOException {
            this.command = String.join(" ", command);
            this.process = new ProcessBuilder(command).start();
            Thread out = new Thread(() -> drain(process.getInputStream(), stdout::add), "mosquitto-stdout");
            Thread err = new Thread(() -> drain(process.getErrorStream(), line -> {
                synchronized (stderr) {
                    stderr.append(line).append('\n');
                }
            }), "mosquitto-stderr");
            out.setDaemon(true);
            err.setDaemon(true);
            out.start();
            err.start();
        }

        private static void drain(java.io.InputStream in, java.util.function.Consumer<String> sink) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sink.accept(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        }

        void awaitLine(Predicate<String> predicate, String what) throws InterruptedException {
            long deadline = System.currentTimeMillis() + PROCESS_TIMEOUT_S * 1000;
            while (System.currentTimeMillis() < deadline) {
                if (stdout.stream().anyMatch(predicate)) {
                    return;
                }
                if (!process.isAlive() && stdout.stream().noneMatch(predicate)) {
                    Thread.sleep(100); // let the reader finish
                    if (stdout.stream().anyMatch(predicate)) {
                        return;
                    }
                    fail(what + ": process exited with " + process.exitValue() + " - " + diagnostics());
                }
                Thread.sleep(20);
            }
            fail("timed out waiting for " + what + " - " + diagnostics());
        }

        /** Waits until mosquitto_sub -d reports the SUBACK, i.e. the subscription is in place. */
        void awaitSubscribed() throws InterruptedException {
            awaitLine(line -> line.contains("received SUBACK"), "SUBACK");
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(PROCESS_TIMEOUT_S, TimeUnit.SECONDS)) {
                fail("process did not exit within " + PROCESS_TIMEOUT_S + " s - " + diagnostics());
            }
            Thread.sleep(100); // let the reader threads drain the pipes
            return process.exitValue();
        }

        List<String> messages() {
            return stdout.stream().filter(l -> l.startsWith(MSG)).map(l -> l.substring(MSG.length()))
                    .collect(Collectors.toList());
        }

        String diagnostics() {
            synchronized (stderr) {
                return "command: " + command + "\nstdout: " + stdout + "\nstderr: " + stderr;
            }
        }

        void destroy() {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private MosquittoProcess start(String binary, String version, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (stdbuf != null) {
            cmd.addAll(List.of(stdbuf, "-oL"));
        }
        cmd.addAll(List.of(binary, "-h", "127.0.0.1", "-p", String.valueOf(broker.port()), "-V", version));
        cmd.addAll(Arrays.asList(args));
        MosquittoProcess p = new MosquittoProcess(cmd);
        processes.add(p);
        return p;
    }

    private MosquittoProcess sub(String version, String... args) throws IOException {
        return start("mosquitto_sub", version, args);
    }

    /** Runs mosquitto_pub to completion and asserts it exited with 0. */
    private void pub(String version, String stdinLines, String... args) throws Exception {
        MosquittoProcess p = start("mosquitto_pub", version, args);
        try (OutputStream in = p.process.getOutputStream()) {
            if (stdinLines != null) {
                in.write(stdinLines.getBytes(UTF_8));
            }
        }
        assertEquals(0, p.awaitExit(), () -> "mosquitto_pub failed - " + p.diagnostics());
    }

    static Stream<Arguments> versionsAndQos() {
        return Stream.of("mqttv311", "mqttv5").flatMap(v -> Stream.of(0, 1, 2).map(q -> Arguments.of(v, q)));
    }

    // ------------------------------------------------------------------------------------------------ tests

    @ParameterizedTest(name = "{0} QoS {1}")
    @MethodSource("versionsAndQos")
    void subReceivesExactlyWhatPubSendsAtQos(String version, int qos) throws Exception {
        String topic = topicPrefix + "/q" + qos;
        MosquittoProcess sub = sub(version, "-d", "-t", topic, "-q", String.valueOf(qos), "-C", "3",
                "-F", MSG + "%t|%q|%r|%p");
        sub.awaitSubscribed();

        pub(version, "one\ntwo\nthree\n", "-t", topic, "-q", String.valueOf(qos), "-l");

        assertEquals(0, sub.awaitExit(), () -> "mosquitto_sub failed - " + sub.diagnostics());
        String prefix = topic + "|" + qos + "|0|";
        assertEquals(List.of(prefix + "one", prefix + "two", prefix + "three"), sub.messages(),
                () -> sub.diagnostics());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mqttv311", "mqttv5"})
    void retainedMessageIsDeliveredToLaterSubscriberWithRetainFlag(String version) throws Exception {
        String topic = topicPrefix + "/retained";
        pub(version, null, "-t", topic, "-q", "1", "-r", "-m", "kept");
        try {
            MosquittoProcess sub = sub(version, "-t", topic, "-q", "1", "-C", "1", "-F", MSG + "%r|%p");

            assertEquals(0, sub.awaitExit(), () -> "mosquitto_sub failed - " + sub.diagnostics());
            assertEquals(List.of("1|kept"), sub.messages(), () -> sub.diagnostics());
        } finally {
            pub(version, null, "-t", topic, "-q", "1", "-r", "-n"); // delete the retained message
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mqttv311", "mqttv5"})
    void hashWildcardSubscriptionDoesNotReceiveSysTopics(String version) throws Exception {
        // precondition: the broker does publish on $SYS (retained presence of this very client)
        MosquittoProcess sys = sub(version, "-t", "$SYS/#", "-C", "1", "-W", "5", "-F", MSG + "%t");
        assertEquals(0, sys.awaitExit(), () -> "precondition: no $SYS message within 5 s - " + sys.diagnostics());
        assertTrue(sys.messages().get(0).startsWith("$SYS/"), () -> sys.diagnostics());

        MosquittoProcess all = sub(version, "-d", "-t", "#", "-F", MSG + "%t");
        all.awaitSubscribed();
        String marker = topicPrefix + "/marker";
        pub(version, null, "-t", marker, "-q", "1", "-m", "m"); // also a connect/disconnect -> presence update
        all.awaitLine(l -> l.equals(MSG + marker), "marker message on '#'");
        Thread.sleep(300);

        List<String> dollarTopics = all.messages().stream().filter(t -> t.startsWith("$"))
                .collect(Collectors.toList());
        assertTrue(dollarTopics.isEmpty(), "'#' must not match $-topics but received " + dollarTopics);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mqttv311", "mqttv5"})
    void willIsDeliveredWhenClientIsKilled(String version) throws Exception {
        String willTopic = topicPrefix + "/will";
        MosquittoProcess watcher = sub(version, "-d", "-t", willTopic, "-q", "1", "-C", "1", "-F", MSG + "%t|%p");
        watcher.awaitSubscribed();
        MosquittoProcess victim = sub(version, "-d", "-t", topicPrefix + "/ignored",
                "--will-topic", willTopic, "--will-payload", "bye", "--will-qos", "1");
        victim.awaitSubscribed();

        victim.process.destroyForcibly(); // SIGKILL: socket closed without DISCONNECT

        assertEquals(0, watcher.awaitExit(), () -> "no will received - " + watcher.diagnostics());
        assertEquals(List.of(willTopic + "|bye"), watcher.messages());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mqttv311", "mqttv5"})
    void willIsNotDeliveredAfterCleanExit(String version) throws Exception {
        String willTopic = topicPrefix + "/will";
        MosquittoProcess watcher = sub(version, "-d", "-t", willTopic, "-q", "1", "-F", MSG + "%t|%p");
        watcher.awaitSubscribed();
        // -C 1 makes the client disconnect normally once it has received one message
        MosquittoProcess leaver = sub(version, "-d", "-t", topicPrefix + "/go", "-C", "1",
                "--will-topic", willTopic, "--will-payload", "bye", "--will-qos", "1");
        leaver.awaitSubscribed();
        pub(version, null, "-t", topicPrefix + "/go", "-q", "1", "-m", "go");
        assertEquals(0, leaver.awaitExit(), () -> leaver.diagnostics());

        Thread.sleep(700);
        assertTrue(watcher.messages().isEmpty(), "will published after normal DISCONNECT: " + watcher.messages());
    }

    @Test
    void v5UserPropertyAndMessageExpiryArePassedThrough() throws Exception {
        String topic = topicPrefix + "/props";
        MosquittoProcess sub = sub("mqttv5", "-d", "-t", topic, "-q", "1", "-C", "1", "-F", MSG + "%P|%E|%p");
        sub.awaitSubscribed();

        pub("mqttv5", null, "-t", topic, "-q", "1", "-m", "x",
                "-D", "publish", "user-property", "a", "b",
                "-D", "publish", "message-expiry-interval", "30");

        assertEquals(0, sub.awaitExit(), () -> sub.diagnostics());
        List<String> messages = sub.messages();
        assertEquals(1, messages.size(), () -> sub.diagnostics());
        String[] parts = messages.get(0).split("\\|", -1);
        assertEquals(3, parts.length, () -> "unexpected output " + messages.get(0));
        assertEquals("a:b", parts[0], "user property");
        assertFalse(parts[1].isEmpty(), "Message Expiry Interval missing on the forwarded PUBLISH");
        int expiry = Integer.parseInt(parts[1].trim());
        assertTrue(expiry >= 28 && expiry <= 30, "Message Expiry Interval forwarded as " + expiry);
        assertEquals("x", parts[2]);
    }
}
