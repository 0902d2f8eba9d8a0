package io.anchormq.platform.anchoring;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static io.anchormq.platform.testsupport.PahoTestClients.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.anchormq.anchoring.testsupport.ExternalTools;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.LogHttp;
import io.anchormq.platform.testsupport.PahoTestClients;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the running platform publishes, checked by a second implementation written separately from the C2SP
 * specifications ({@code tools/c2sp-check}, Python) instead of by our own verifier: signed checkpoints, the
 * tlog-tiles directory, proof files with their payloads, a consistency proof, and rejection of a flipped bit.
 * Without Python and its {@code cryptography} package the class fails when the environment variable CI is set,
 * otherwise it is skipped.
 */
@Timeout(120)
class IndependentCheckTest {

    private static final Path CHECKER = Path.of("..", "tools", "c2sp-check", "c2sp_check.py").toAbsolutePath();

    private static String python;
    private static BrokerFixture broker;

    @TempDir
    Path tmp;

    private String lastOutput = "";

    @BeforeAll
    static void requirePythonAndStartBroker() throws Exception {
        python = pythonWithCryptography();
        ExternalTools.require(python != null, "python3 with the cryptography package",
                "apt-get install python3-cryptography");
        assertTrue(Files.isRegularFile(CHECKER), CHECKER + " missing");
        broker = BrokerFixture.start("anchormq.anchoring.batch.max-delay = 20ms");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void checkpointsTilesProofsAndConsistencyVerifyIndependentlyAndAFlippedBitDoesNot() throws Exception {
        Path key = Files.writeString(tmp.resolve("log.vkey"), get("/key").trim() + "\n");
        String device = unique("indep");
        String topic = "plant/" + device + "/temp";
        List<String> payloads = new ArrayList<>();
        try (PahoTestClients.V5 c = new PahoTestClients.V5(broker.tcpUri(), device)) {
            c.connect(true, 0L);
            // a first tree, then one past 256 entries, so that the consistency proof and the tiles span levels
            for (int i = 0; i < 40; i++) {
                payloads.add("{\"t\":" + (20 + i % 5) + ",\"n\":" + i + "}");
                c.publish(topic, payloads.get(i), 1 + i % 2, false);
            }
            awaitProof(device, topic, payloads.get(39));
            Path first = Files.writeString(tmp.resolve("first.checkpoint"), get("/checkpoint"));
            for (int i = 40; i < 340; i++) {
                payloads.add("{\"t\":" + (20 + i % 5) + ",\"n\":" + i + "}");
                c.publish(topic, payloads.get(i), 1 + i % 2, false);
            }
            awaitProof(device, topic, payloads.get(339));
            Path second = Files.writeString(tmp.resolve("second.checkpoint"), get("/checkpoint"));

            assertEquals(0, check("checkpoint", "--vkey", key, "--checkpoint", second), lastOutput);
            long from = treeSize(first);
            long to = treeSize(second);
            assertTrue(to >= from + 300, from + " -> " + to);
            Path consistency = Files.writeString(tmp.resolve("consistency"),
                    get("/consistency?from=" + from + "&to=" + to));
            assertEquals(0, check("consistency", "--vkey", key, "--old", first, "--new", second, "--proof",
                    consistency), lastOutput);
            assertEquals(0, check("tiles", "--dir", broker.dataDir().resolve("log").resolve("default"), "--vkey",
                    key), lastOutput);

            for (int i : new int[] {0, 1, 39, 255, 256, 339}) {
                Path proof = Files.writeString(tmp.resolve(i + ".tlog-proof"), awaitProof(device, topic,
                        payloads.get(i)));
                Path payload = Files.write(tmp.resolve(i + ".payload"), utf8(payloads.get(i)));
                assertEquals(0, check("proof", "--vkey", key, "--proof", proof, "--payload", payload),
                        "message " + i + ": " + lastOutput);
            }

            Path proof = tmp.resolve("39.tlog-proof");
            Path otherPayload = Files.write(tmp.resolve("other.payload"), utf8(payloads.get(38)));
            assertEquals(1, check("proof", "--vkey", key, "--proof", proof, "--payload", otherPayload), lastOutput);
            byte[] flipped = Files.readAllBytes(proof);
            int at = new String(flipped, StandardCharsets.UTF_8).indexOf("\nindex ") + 7; // the index's first digit
            flipped[at] ^= 0x01;
            Path bad = Files.write(tmp.resolve("flipped.tlog-proof"), flipped);
            assertEquals(1, check("proof", "--vkey", key, "--proof", bad), lastOutput);
            String altered = Files.readString(second).replaceFirst("\n(\\d+)\n", "\n" + (to + 1) + "\n");
            Path badCheckpoint = Files.writeString(tmp.resolve("altered.checkpoint"), altered);
            assertEquals(1, check("checkpoint", "--vkey", key, "--checkpoint", badCheckpoint), lastOutput);
        }
    }

    private int check(Object... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, CHECKER.toString()));
        for (Object a : args) {
            command.add(a.toString());
        }
        Path output = tmp.resolve("checker-output");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("checker timed out: " + command);
        }
        lastOutput = String.join(" ", command) + "\n" + Files.readString(output);
        return p.exitValue();
    }

    private static long treeSize(Path checkpoint) throws IOException {
        return Long.parseLong(Files.readAllLines(checkpoint).get(1));
    }

    private static String awaitProof(String clientId, String topic, String payload) throws Exception {
        return LogHttp.awaitProof(broker.httpPort(), clientId, topic, utf8(payload), Duration.ofSeconds(10));
    }

    private static String get(String path) throws Exception {
        HttpResponse<String> r = LogHttp.get(broker.httpPort(), path);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    /** {@code python3} if it has the cryptography package, else Debian's own interpreter if that has it. */
    private static String pythonWithCryptography() throws InterruptedException {
        for (String candidate : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import cryptography").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
            } catch (IOException notThere) {
                // try the next
            }
        }
        return null;
    }
}
