package io.anchormq.platform.anchoring;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.anchormq.anchoring.chain.GanacheNode;
import io.anchormq.anchoring.proof.ChainAnchor;
import io.anchormq.anchoring.proof.TlogProof;
import io.anchormq.anchoring.verify.VerifierRun;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.LogHttp;
import io.anchormq.platform.testsupport.PahoTestClients;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chain anchoring through the running platform, against a real local chain (ganache): a message on a "chain" route
 * gets a proof whose checkpoint is anchored on chain, and the standalone verifier confirms the anchor over JSON-RPC;
 * messages on "checkpoint" routes alone cause no transactions.
 */
class ChainAnchoringIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void aChainRoutedMessageGetsAnAnchoredProofThatTheVerifierConfirmsOnTheChain() throws Exception {
        try (GanacheNode chain = GanacheNode.create(tmp.resolve("chain")).start();
                BrokerFixture broker = BrokerFixture.start("""
                        anchormq.anchoring.batch.max-delay = 20ms
                        anchormq.anchoring.routes = [
                          { filter = "meters/#", qos = [1, 2], mode = "chain" }
                          { filter = "#", qos = [1, 2], mode = "checkpoint" }
                        ]
                        anchormq.anchoring.chain {
                          enabled = true
                          rpc-url = "%s"
                          private-key = "%s"
                          chain-id = %d
                          interval = 1s
                          poll-interval = 200ms
                        }
                        """.formatted(chain.url(), GanacheNode.KEY, GanacheNode.CHAIN_ID))) {
            String device = unique("meter");
            try (PahoTestClients.V5 c = new PahoTestClients.V5(broker.tcpUri(), device)) {
                c.connect(true, 0L);
                c.publish("meters/" + device, "1234.5 kWh", 1, false);
            }
            String query = LogHttp.messageQuery(device, "meters/" + device,
                    "1234.5 kWh".getBytes(StandardCharsets.UTF_8));
            TlogProof proof = awaitAnchoredProof(broker, query);
            ChainAnchor anchor = proof.anchors().get(0);
            assertEquals(GanacheNode.CHAIN_ID, anchor.chainId());

            JsonNode anchors = JSON.readTree(get(broker, "/anchors").body());
            assertTrue(anchors.size() >= 1);
            assertEquals(anchor.txHashHex(), anchors.get(0).get("txHash").asText());

            Path proofFile = Files.writeString(tmp.resolve("meter.tlog-proof"), proof.format());
            Path payload = Files.writeString(tmp.resolve("payload"), "1234.5 kWh");
            String key = get(broker, "/key").body().trim();
            VerifierRun verified = VerifierRun.of("verify", "--proof", proofFile.toString(), "--payload",
                    payload.toString(), "--key", key, "--rpc", chain.url().toString());
            assertEquals(0, verified.exitCode(), verified.out() + verified.err());

            // checkpoint-only traffic does not cost transactions
            int before = anchors.size();
            try (PahoTestClients.V5 c = new PahoTestClients.V5(broker.tcpUri(), unique("plain"))) {
                c.connect(true, 0L);
                for (int i = 0; i < 5; i++) {
                    c.publish("sensors/plain", "v" + i, 1, false);
                }
            }
            Thread.sleep(3_000); // three anchoring rounds
            assertEquals(before, JSON.readTree(get(broker, "/anchors").body()).size(),
                    "no anchor for checkpoint-only entries");
        }
    }

    private static TlogProof awaitAnchoredProof(BrokerFixture broker, String query) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            HttpResponse<String> r = get(broker, "/proof?" + query);
            if (r.statusCode() == 200) {
                TlogProof proof = TlogProof.parse(r.body());
                List<ChainAnchor> anchors = proof.anchors();
                if (!anchors.isEmpty()) {
                    return proof;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no anchored proof within " + WAIT + ": " + r.statusCode() + " " + r.body());
            }
            Thread.sleep(200);
        }
    }

    private static HttpResponse<String> get(BrokerFixture broker, String path) throws Exception {
        return LogHttp.get(broker.httpPort(), path);
    }
}
