package io.anchormq.platform.anchoring;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static io.anchormq.platform.testsupport.PahoTestClients.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteVerifier;
import io.anchormq.anchoring.note.SignedNote;
import io.anchormq.anchoring.proof.TlogProof;
import io.anchormq.anchoring.verify.VerifierRun;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.LogHttp;
import io.anchormq.platform.testsupport.PahoTestClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The integrity log end to end: devices publish over MQTT (Paho 5), the platform logs per its routes, serves the log
 * over HTTP in the C2SP formats, and the standalone verifier accepts the proofs it serves and rejects altered ones.
 */
class AnchoringIntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static BrokerFixture broker;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        broker = BrokerFixture.start("""
                anchormq.anchoring.batch.max-delay = 20ms
                anchormq.anchoring.routes = [
                  { filter = "receipted/#", qos = [1, 2], mode = "checkpoint", receipts = true }
                  { filter = "unlogged/#", qos = [0, 1, 2], mode = "none" }
                  { filter = "#", qos = [1, 2], mode = "checkpoint" }
                ]
                """);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void everyQos1And2MessageGetsAProofFileThatTheStandaloneVerifierAccepts() throws Exception {
        String device = unique("dev");
        String topic = "sensors/" + device + "/temp";
        List<String> payloads = List.of("21.5", "21.6", "21.7");
        try (PahoTestClients.V5 c = new PahoTestClients.V5(broker.tcpUri(), device)) {
            c.connect(true, 0L);
            c.publish(topic, payloads.get(0), 1, false);
            c.publish(topic, payloads.get(1), 2, false);
            c.publish(topic, payloads.get(2), 1, true);
        }
        String key = get("/key").body().trim();
        for (String payload : payloads) {
            String proof = awaitProof(device, topic, utf8(payload));
            Path proofFile = Files.writeString(tmp.resolve("m.tlog-proof"), proof);
            Path payloadFile = Files.write(tmp.resolve("payload"), utf8(payload));
            assertEquals(0, verify("verify", "--proof", proofFile.toString(), "--payload", payloadFile.toString(),
                    "--key", key, "--origin", "anchormq.local/log/default"), lastVerifierOutput);

            TlogProof parsed = TlogProof.parse(proof);
            JsonNode entry = json(get("/entry/" + parsed.index()));
            assertEquals(device, entry.get("clientId").asText());
            assertEquals(topic, entry.get("topic").asText());
            assertEquals(LogHttp.sha256Hex(utf8(payload)), entry.get("payloadSha256").asText());
        }
    }

    @Test
    void theVerifierRejectsAnAlteredPayloadProofOrCheckpointAndSaysWhat() throws Exception {
        String device = unique("dev");
        String topic = "sensors/" + device + "/door";
        try (PahoTestClients.V5 c = new PahoTestClients.V5(broker.tcpUri(), device)) {
            c.connect(true, 0L);
            c.publish(topic, "open", 1, false);
        }
        String key = get("/key").body().trim();
        String proof = awaitProof(device, topic, utf8("open"));
        Path good = Files.writeString(tmp.resolve("good.tlog-proof"), proof);

        Path otherPayload = Files.write(tmp.resolve("closed"), utf8("opem"));
        assertEquals(1, verify("verify", "--proof", good.toString(), "--payload", otherPayload.toString(),
                "--key", key));
        assertTrue(lastVerifierOutput.contains("payload"), lastVerifierOutput);

        // one flipped bit in an inclusion-proof hash line (the first line after "index")
        List<String> lines = new ArrayList<>(List.of(proof.split("\n", -1)));
        int hashLine = 0;
        while (!lines.get(hashLine).startsWith("index ")) {
            hashLine++;
        }
        hashLine++;
        Path payload = Files.write(tmp.resolve("open"), utf8("open"));
        if (!lines.get(hashLine).isEmpty()) {
            byte[] h = Base64.getDecoder().decode(lines.get(hashLine));
            h[7] ^= 0x10;
            lines.set(hashLine, Base64.getEncoder().encodeToString(h));
            Path bad = Files.writeString(tmp.resolve("bad-proof.tlog-proof"), String.join("\n", lines));
            assertEquals(1, verify("verify", "--proof", bad.toString(), "--payload", payload.toString(),
                    "--key", key));
        }

        // one flipped bit in the checkpoint's root line: the signature no longer verifies
        TlogProof parsed = TlogProof.parse(proof);
        String rootLine = Base64.getEncoder().encodeToString(parsed.checkpoint().root());
        byte[] root = parsed.checkpoint().root();
        root[0] ^= 0x01;
        String tampered = proof.replace(rootLine, Base64.getEncoder().encodeToString(root));
        Path badCheckpoint = Files.writeString(tmp.resolve("bad-checkpoint.tlog-proof"), tampered);
        assertEquals(1, verify("verify", "--proof", badCheckpoint.toString(), "--payload", payload.toString(),
                "--key", key));

        // a different key: nothing signed by it
        String stranger = io.anchormq.anchoring.note.NoteSigner.generate("anchormq.local/log/default").verifier()
                .format();
        assertEquals(1, verify("verify", "--proof", good.toString(), "--payload", payload.toString(),
                "--key", stranger));
    }

    @Test
    void qos0AndExcludedTopicsAreNotLogged() throws Exception {
        String device = unique("dev");
        try (PahoTestClients.V5 c = new PahoTestClients.V5(broker.tcpUri(), device)) {
            c.connect(true, 0L);
            c.publish("sensors/" + device + "/q0", "zero", 0, false);
            c.publish("unlogged/" + device, "excluded", 1, false);
            c.publish("sensors/" + device + "/q1", "one", 1, false);
        }
        awaitProof(device, "sensors/" + device + "/q1", utf8("one")); // logged after the others were handled
        assertEquals(0, lookup(device, "sensors/" + device + "/q0", utf8("zero")).size());
        assertEquals(0, lookup(device, "unlogged/" + device, utf8("excluded")).size());
    }

    @Test
    void checkpointTilesAndEntryBundlesAreServedInTheTlogTilesLayout() throws Exception {
        String device = unique("dev");
        try (PahoTestClients.V5 c = new PahoTestClients.V5(broker.tcpUri(), device)) {
            c.connect(true, 0L);
            for (int i = 0; i < 5; i++) {
                c.publish("tiles/" + device, "reading " + i, 1, false);
            }
        }
        awaitProof(device, "tiles/" + device, utf8("reading 4"));
        HttpResponse<String> cp = get("/checkpoint");
        assertTrue(cp.headers().firstValue("content-type").orElse("").startsWith("text/plain"), cp.headers().toString());
        SignedNote note = SignedNote.parse(cp.body());
        note.verify(List.of(NoteVerifier.parse(get("/key").body().trim())));
        Checkpoint checkpoint = Checkpoint.parse(note.text());
        long size = checkpoint.size();
        assertTrue(size >= 5);

        // level-0 tiles hold the leaf hashes; entry bundles hold the entries that hash to them
        List<byte[]> leaves = new ArrayList<>();
        for (long tile = 0; tile * 256 < size; tile++) {
            long width = Math.min(256, size - tile * 256);
            String suffix = width == 256 ? "" : ".p/" + width;
            byte[] hashes = getBytes("/tile/0/" + tilePath(tile) + suffix);
            assertEquals(width * 32, hashes.length);
            byte[] bundle = getBytes("/tile/entries/" + tilePath(tile) + suffix);
            ByteBuffer b = ByteBuffer.wrap(bundle);
            for (int i = 0; i < width; i++) {
                byte[] entry = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(entry);
                byte[] leaf = new byte[32];
                System.arraycopy(hashes, i * 32, leaf, 0, 32);
                assertArrayEquals(leaf, Rfc9162.leafHash(entry), "entry " + (tile * 256 + i));
                leaves.add(leaf);
            }
            assertEquals(0, b.remaining(), "bundle has exactly " + width + " entries");
        }
        assertArrayEquals(checkpoint.root(), referenceRoot(leaves), "root recomputed from the served level-0 tiles");
        assertEquals(404, get("/tile/0/" + tilePath(size / 256) + ".p/" + (size % 256 == 255 ? 1 : 255)).statusCode());
    }

    @Test
    void withReceiptsTheAckComesOnlyOnceTheEntryIsLoggedAndTheDeviceGetsItsReceipt() throws Exception {
        String device = unique("dev");
        String topic = "receipted/" + device;
        try (PahoTestClients.V5 c = new PahoTestClients.V5(broker.tcpUri(), device)) {
            c.connect(true, 0L);
            assertEquals(1, c.subscribe("$SYS/anchormq/receipts/" + device, 1));
            c.publish(topic, "reading", 1, false); // returns on PUBACK
            // the PUBACK said "logged": the entry is already covered by a published checkpoint
            List<Long> found = lookup(device, topic, utf8("reading"));
            assertEquals(1, found.size(), "logged before the PUBACK");
            assertTrue(found.get(0) < Checkpoint.parse(SignedNote.parse(get("/checkpoint").body()).text()).size());

            PahoTestClients.V5Msg receipt = c.next(WAIT);
            assertEquals("$SYS/anchormq/receipts/" + device, receipt.topic());
            JsonNode r = JSON.readTree(receipt.message().getPayload());
            assertEquals(found.get(0).longValue(), r.get("leafIndex").asLong());
            assertEquals(topic, r.get("topic").asText());
            JsonNode entry = json(get("/entry/" + found.get(0)));
            assertEquals(entry.get("leafHash").asText(), r.get("leafHash").asText());
            SignedNote covering = SignedNote.parse(r.get("checkpoint").asText());
            covering.verify(List.of(NoteVerifier.parse(get("/key").body().trim())));
            assertTrue(Checkpoint.parse(covering.text()).size() > found.get(0));
            // and the receipt's checkpoint really covers the entry: an inclusion proof against its root verifies
            Checkpoint cp = Checkpoint.parse(covering.text());
            TlogProof proof = TlogProof.parse(get("/proof?index=" + found.get(0)).body());
            if (proof.checkpoint().size() == cp.size()) {
                ProofVerifier.verifyInclusion(Base64.getDecoder().decode(r.get("leafHash").asText()), found.get(0),
                        cp.size(), proof.inclusionProof(), cp.root());
            }
        }
    }

    @Test
    void nobodyElseReceivesADevicesReceiptsAndClientsCannotPublishUnderSys() throws Exception {
        String device = unique("dev");
        String spyId = unique("spy");
        try (PahoTestClients.V5 spy = new PahoTestClients.V5(broker.tcpUri(), spyId);
                PahoTestClients.V5 dev = new PahoTestClients.V5(broker.tcpUri(), device)) {
            spy.connect(true, 0L);
            spy.subscribe("$SYS/anchormq/receipts/#", 1);
            spy.subscribe("$SYS/anchormq/receipts/" + device, 1);
            dev.connect(true, 0L);
            dev.subscribe("$SYS/anchormq/receipts/" + device, 1);
            dev.publish("receipted/" + device, "secret reading", 1, false);
            assertNotNull(dev.next(WAIT), "the device gets its receipt");
            PahoTestClients.assertNothing(spy.messages, Duration.ofSeconds(1), "someone else's receipt");

            // a forged receipt is refused (5.0: PUBACK 0x87) and reaches nobody
            org.eclipse.paho.mqttv5.client.IMqttToken t = spy.client.publish("$SYS/anchormq/receipts/" + device,
                    utf8("{\"leafIndex\":0}"), 1, false);
            t.waitForCompletion(PahoTestClients.OP_TIMEOUT_MS);
            assertEquals(0x87, t.getReasonCodes()[0]);
            PahoTestClients.assertNothing(dev.messages, Duration.ofSeconds(1), "a forged receipt");
        }
    }

    @Test
    void httpErrorsAreJsonWithTheRightStatus() throws Exception {
        assertError(404, "/log/nowhere/checkpoint");
        assertError(400, "/log/default/proof?index=abc");
        assertError(400, "/log/default/proof");
        assertError(404, "/log/default/proof?index=9999999999");
        assertError(400, "/log/default/lookup?clientId=a&topic=b&payloadSha256=xyz");
        assertError(404, "/log/default/tile/0/12");
        assertError(404, "/log/default/tile/../../checkpoint");
        assertError(400, "/log/default/consistency?from=5&to=2");
        assertError(404, "/nothing-here");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static String lastVerifierOutput = "";

    private static int verify(String... args) {
        VerifierRun run = VerifierRun.of(args);
        lastVerifierOutput = run.out() + "\n" + run.err();
        return run.exitCode();
    }

    private static String awaitProof(String clientId, String topic, byte[] payload) throws Exception {
        return LogHttp.awaitProof(broker.httpPort(), clientId, topic, payload, WAIT);
    }

    private static List<Long> lookup(String clientId, String topic, byte[] payload) throws Exception {
        List<Long> out = new ArrayList<>();
        LogHttp.lookup(broker.httpPort(), clientId, topic, payload).forEach(i -> out.add(i.asLong()));
        return out;
    }

    private static void assertError(int status, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + broker.httpPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), path + ": " + r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"), path);
        assertNotNull(JSON.readTree(r.body()).get("error"), path + ": " + r.body());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return LogHttp.get(broker.httpPort(), path);
    }

    private static byte[] getBytes(String path) throws Exception {
        HttpResponse<byte[]> r = LogHttp.getBytes(broker.httpPort(), path);
        assertEquals(200, r.statusCode(), path);
        return r.body();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** tlog-tiles index path: 3-digit elements, "x" on all but the last. */
    private static String tilePath(long n) {
        String s = String.format("%03d", n % 1000);
        for (n /= 1000; n > 0; n /= 1000) {
            s = String.format("x%03d/", n % 1000) + s;
        }
        return s;
    }

    /** RFC 9162 §2.1.1 MTH, written out independently of the anchoring module. */
    private static byte[] referenceRoot(List<byte[]> leaves) throws Exception {
        if (leaves.size() == 1) {
            return leaves.get(0);
        }
        int k = Integer.highestOneBit(leaves.size() - 1);
        java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
        d.update((byte) 1);
        d.update(referenceRoot(leaves.subList(0, k)));
        d.update(referenceRoot(leaves.subList(k, leaves.size())));
        return d.digest();
    }
}
