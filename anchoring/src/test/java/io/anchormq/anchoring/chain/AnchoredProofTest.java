package io.anchormq.anchoring.chain;

import static io.anchormq.anchoring.chain.ChainTestSupport.awaitValue;
import static io.anchormq.anchoring.chain.ChainTestSupport.fastConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.log.AppendedBatch;
import io.anchormq.anchoring.log.LogRecord;
import io.anchormq.anchoring.log.WorkspaceLog;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.NoteSigner;
import io.anchormq.anchoring.proof.ChainAnchor;
import io.anchormq.anchoring.proof.TlogProof;
import io.anchormq.anchoring.verify.VerifierRun;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on a real chain (ganache): a proof from a real log, anchored by the anchorer, carries the anchor line
 * and verifies with {@code verify --rpc}; every tampered part of the line is named.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnchoredProofTest {

    private static final String ORIGIN = "anchormq.test/log/default";

    @TempDir
    static Path temp;

    private GanacheNode ganache;
    private WorkspaceLog log;
    private AnchorReceipt receipt;
    private final List<byte[]> payloads = new ArrayList<>();
    private Path keyFile;
    private String out;
    private String err;

    @BeforeAll
    void logAndAnchor() throws Exception {
        ganache = GanacheNode.create(temp.resolve("chain")).start();
        NoteSigner key = NoteSigner.generate(ORIGIN);
        keyFile = Files.writeString(temp.resolve("log.vkey"), key.verifier().format() + "\n");
        log = WorkspaceLog.open(temp.resolve("log"), "default", ORIGIN, List.of(key));
        log.append(records(0, 5));
        try (ChainAnchorer anchorer = ChainAnchorer.start(fastConfig(ganache, temp.resolve("anchorer")))) {
            AppendedBatch batch = log.append(records(5, 8));
            anchorer.offer(ORIGIN, batch.root(), batch.size());
            receipt = awaitValue("anchored", () -> anchorer.anchorCovering(ORIGIN, 8));
        }
        log.append(records(8, 12)); // the log goes on; proofs of anchored entries use the anchored size
    }

    @AfterAll
    void stop() {
        if (log != null) {
            log.close();
        }
        if (ganache != null) {
            ganache.close();
        }
    }

    @Test
    void aProofWithTheAnchorersAnchorIsConfirmedByTheChain() throws IOException {
        assertEquals(8, receipt.treeSize());
        ChainAnchor anchor = receipt.toProofAnchor();
        assertEquals(0, verify(proof(3, anchor)), err);
        assertTrue(out.contains("  anchor:          chain 1337, contract " + receipt.contract() + ", tx "
                + receipt.txHash() + ", block " + receipt.blockNumber() + ", log index " + receipt.logIndex()
                + " (confirmed by " + ganache.url() + ": "), out);
        assertTrue(out.matches("(?s).*confirmations?\\)\n"), out);

        assertEquals(0, run("verify", "--proof", write(proof(3, anchor)).toString(), "--payload",
                payloadFile(3).toString(), "--key", keyFile.toString()), err);
        assertTrue(out.contains("(not checked against a chain)"), "without --rpc: " + out);

        TlogProof unanchored = log.proof(3, 8);
        assertEquals(0, run("verify", "--proof", write(unanchored).toString(), "--payload", payloadFile(3).toString(),
                "--key", keyFile.toString(), "--rpc", ganache.url().toString()), err);
        assertTrue(out.endsWith("  anchor:          none: the checkpoint is not anchored, so nothing was checked "
                + "against the chain\n"), out);
    }

    @Test
    void everyTamperedPartOfTheAnchorLineIsNamed() throws IOException {
        ChainAnchor good = receipt.toProofAnchor();
        String tx = receipt.txHash();

        byte[] otherTx = good.txHash();
        otherTx[31] ^= 0x01;
        ChainAnchor wrongTx = new ChainAnchor(1337, good.contract(), otherTx, good.blockNumber(), good.logIndex());
        assertFails(proof(3, wrongTx), "anchor: chain 1337 has no transaction " + wrongTx.txHashHex()
                + " (no receipt from " + ganache.url() + ")");

        // the anchor of the tree of 8 on a checkpoint of the tree of 10: another root
        TlogProof otherTree = log.proof(3, 10).withAnchor(good);
        assertFails(otherTree, "anchor: the Anchored event (log " + good.logIndex() + " of transaction " + tx
                + ") is for root " + b64(receipt.root().bytes()) + ", the checkpoint's root is "
                + b64(otherTree.checkpoint().root()));

        assertFails(proof(3, new ChainAnchor(1337, good.contract(), good.txHash(), good.blockNumber() + 1,
                good.logIndex())), "anchor: transaction " + tx + " is in block " + good.blockNumber()
                + ", the anchor line says block " + (good.blockNumber() + 1));

        assertFails(proof(3, new ChainAnchor(1337, good.contract(), good.txHash(), good.blockNumber(),
                good.logIndex() + 1)), "anchor: transaction " + tx + " emitted no log at index "
                + (good.logIndex() + 1) + " (its logs are at [" + good.logIndex() + "])");

        byte[] stranger = HexFormat.of().parseHex(GanacheNode.ADDRESS.substring(2));
        assertFails(proof(3, new ChainAnchor(1337, stranger, good.txHash(), good.blockNumber(), good.logIndex())),
                "anchor: log " + good.logIndex() + " of transaction " + tx + " was emitted by " + receipt.contract()
                        + ", not by the anchor's contract " + GanacheNode.ADDRESS);

        assertFails(proof(3, new ChainAnchor(1, good.contract(), good.txHash(), good.blockNumber(),
                good.logIndex())), "anchor: the node at " + ganache.url() + " serves chain 1337, the anchor line is"
                + " for chain 1");
    }

    @Test
    void aNodeThatCannotBeAskedIsUnusableInputNotAFailedCheck() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort + "/v3/secret-api-key"; // the path is not printed
        assertEquals(2, verify(proof(3, receipt.toProofAnchor()), "--rpc", url));
        assertEquals("--rpc http://127.0.0.1:" + closedPort + " unreachable (eth_chainId): connection refused\n", err);
        assertEquals("", out);

        assertEquals(2, verify(proof(3, receipt.toProofAnchor()), "--rpc", "ftp://example.org"));
        assertEquals("--rpc ftp://example.org is not an http or https URL\n", err);
    }

    private TlogProof proof(long index, ChainAnchor anchor) {
        return log.proof(index, receipt.treeSize()).withAnchor(anchor);
    }

    private void assertFails(TlogProof proof, String message) throws IOException {
        assertEquals(1, verify(proof), out + err);
        assertEquals("verification failed: " + message + "\n", err);
        assertEquals("", out);
    }

    /** verify --proof <proof of entry 3> --payload <its payload> --key <the log's key> --rpc <ganache>. */
    private int verify(TlogProof proof, String... rpc) throws IOException {
        List<String> args = new ArrayList<>(List.of("verify", "--proof", write(proof).toString(), "--payload",
                payloadFile((int) proof.index()).toString(), "--key", keyFile.toString()));
        args.addAll(rpc.length == 0 ? List.of("--rpc", ganache.url().toString()) : List.of(rpc));
        return run(args.toArray(String[]::new));
    }

    private int run(String... args) {
        VerifierRun run = VerifierRun.of(args);
        out = run.out();
        err = run.err();
        return run.exitCode();
    }

    private Path write(TlogProof proof) throws IOException {
        return Files.writeString(temp.resolve("message.tlog-proof"), proof.format());
    }

    private Path payloadFile(int index) throws IOException {
        return Files.write(temp.resolve("payload-" + index), payloads.get(index));
    }

    private List<LogRecord> records(int from, int to) {
        List<LogRecord> records = new ArrayList<>();
        for (int i = from; i < to; i++) {
            byte[] payload = ("{\"temp\": " + (20 + i) + "}").getBytes(StandardCharsets.UTF_8);
            payloads.add(payload);
            records.add(new LogRecord("sensor-" + i, "plant/line1/temp", 1, Rfc9162.sha256(payload),
                    Instant.parse("2024-06-01T12:00:00Z").plusMillis(i)));
        }
        return records;
    }

    private static String b64(byte[] hash) {
        return Base64.getEncoder().encodeToString(hash);
    }
}
