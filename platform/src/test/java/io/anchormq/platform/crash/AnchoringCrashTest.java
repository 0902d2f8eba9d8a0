package io.anchormq.platform.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.note.NoteVerifier;
import io.anchormq.anchoring.note.SignedNote;
import io.anchormq.anchoring.proof.ConsistencyProofText;
import io.anchormq.platform.testsupport.LogHttp;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the platform under load: every message whose PUBACK said "logged" (a receipts route) is in the
 * log after the restart, the log continues under the same key, and a consistency proof from the last checkpoint
 * seen before the crash to a new one verifies.
 */
class AnchoringCrashTest {

    private static final Duration LOAD = Duration.ofSeconds(3);
    private static final String ROUTES = """
            anchormq.anchoring.routes = [
              { filter = "crash/#", qos = [1, 2], mode = "checkpoint", receipts = true }
            ]
            """;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedEntrySurvivesKill9AndTheLogStaysConsistent() throws Exception {
        Path data = dir.resolve("data");
        ChildPlatform first = ChildPlatform.start(dir, data, ROUTES);
        Set<String> acked = ConcurrentHashMap.newKeySet();
        AtomicReference<String> lastCheckpoint = new AtomicReference<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        List<MqttAsyncClient> publishers = new ArrayList<>();
        try {
            for (int p = 0; p < 4; p++) {
                publishers.add(publisher(first.mqttPort, "crash-dev-" + p, acked, loading));
            }
            long end = System.nanoTime() + LOAD.toNanos();
            while (System.nanoTime() < end) {
                HttpResponse<String> cp = get(first.httpPort, "/checkpoint");
                if (cp.statusCode() == 200) {
                    lastCheckpoint.set(cp.body());
                }
                Thread.sleep(50);
            }
        } finally {
            first.kill(); // SIGKILL while the publishers are still sending
            loading.set(false);
            for (MqttAsyncClient c : publishers) {
                c.disconnectForcibly(0, 0, false);
                c.close(true);
            }
        }
        assertTrue(acked.size() > 100, "load produced only " + acked.size() + " acknowledged messages");
        String vkey = Files.readString(data.resolve("log").resolve("default.vkey")).trim();
        NoteVerifier key = NoteVerifier.parse(vkey);
        Checkpoint before = verified(lastCheckpoint.get(), key);

        ChildPlatform second = ChildPlatform.start(dir, data, ROUTES);
        try {
            for (String ack : acked) {
                String[] parts = ack.split(" ", 2); // "<client> <payload>"
                assertEquals(1, lookup(second.httpPort, parts[0], "crash/" + parts[0], parts[1]),
                        "acknowledged message " + ack + " is in the log exactly once");
            }
            Checkpoint recovered = verified(get(second.httpPort, "/checkpoint").body(), key);
            assertTrue(recovered.size() >= before.size(), "the log did not shrink below a published checkpoint");

            // the log continues: new entries, a new checkpoint, consistent with the one from before the crash
            MqttAsyncClient after = publisher(second.mqttPort, "crash-after", ConcurrentHashMap.newKeySet(),
                    new AtomicBoolean(false));
            for (int i = 0; i < 10; i++) {
                after.publish("crash/crash-after", ("after " + i).getBytes(StandardCharsets.UTF_8), 1, false)
                        .waitForCompletion(5000);
            }
            after.disconnect().waitForCompletion(5000);
            after.close();
            Checkpoint now = verified(get(second.httpPort, "/checkpoint").body(), key);
            assertTrue(now.size() >= recovered.size() + 10);
            List<byte[]> proof = ConsistencyProofText.parse(get(second.httpPort, "/consistency?from=" + before.size()
                    + "&to=" + now.size()).body());
            ProofVerifier.verifyConsistency(before.size(), now.size(), proof, before.root(), now.root());
        } finally {
            second.kill();
        }
    }

    /** A device publishing QoS 1 as fast as its acknowledgements allow, noting each message acknowledged. */
    private static MqttAsyncClient publisher(int port, String clientId, Set<String> acked, AtomicBoolean loading)
            throws Exception {
        MqttAsyncClient c = new MqttAsyncClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setCleanStart(true);
        o.setAutomaticReconnect(false);
        c.connect(o).waitForCompletion(5000);
        if (loading.get()) {
            for (int slot = 0; slot < 8; slot++) {
                publishNext(c, clientId, slot, acked, loading);
            }
        }
        return c;
    }

    private static void publishNext(MqttAsyncClient c, String clientId, long n, Set<String> acked,
                                    AtomicBoolean loading) {
        if (!loading.get()) {
            return;
        }
        String payload = "reading " + n;
        try {
            c.publish("crash/" + clientId, new MqttMessage(payload.getBytes(StandardCharsets.UTF_8), 1, false, null),
                    null, new MqttActionListener() {
                        @Override
                        public void onSuccess(IMqttToken token) {
                            acked.add(clientId + " " + payload); // PUBACK: logged (receipts route)
                            publishNext(c, clientId, n + 8, acked, loading);
                        }

                        @Override
                        public void onFailure(IMqttToken token, Throwable failure) {
                            // the broker was killed: this one was never acknowledged
                        }
                    });
        } catch (Exception e) {
            // disconnected
        }
    }

    private static Checkpoint verified(String signed, NoteVerifier key) throws Exception {
        SignedNote note = SignedNote.parse(signed);
        note.verify(List.of(key));
        return Checkpoint.parse(note.text());
    }

    private static int lookup(int httpPort, String clientId, String topic, String payload) throws Exception {
        return LogHttp.lookup(httpPort, clientId, topic, payload.getBytes(StandardCharsets.UTF_8)).size();
    }

    private static HttpResponse<String> get(int httpPort, String path) throws IOException, InterruptedException {
        return LogHttp.get(httpPort, path);
    }
}
