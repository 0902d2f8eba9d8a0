package io.anchormq.anchoring.chain;

import static io.anchormq.anchoring.chain.ChainTestSupport.await;
import static io.anchormq.anchoring.chain.ChainTestSupport.awaitValue;
import static io.anchormq.anchoring.chain.ChainTestSupport.fastConfig;
import static io.anchormq.anchoring.chain.ChainTestSupport.journal;
import static io.anchormq.anchoring.chain.ChainTestSupport.root;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.merkle.Sha256Hash;
import io.anchormq.anchoring.proof.ChainAnchor;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/** Anchoring against a real local chain (ganache), one node for the class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChainAnchorerTest {

    @TempDir
    static Path temp;

    private GanacheNode ganache;
    private JdkHttpService service;
    private Web3j web3j;

    @BeforeAll
    void startChain() {
        ganache = GanacheNode.create(temp.resolve("chain")).start();
        service = new JdkHttpService(ganache.url(), Duration.ofSeconds(5), Duration.ofSeconds(10));
        web3j = Web3j.build(service);
    }

    @AfterAll
    void stopChain() {
        if (ganache != null) {
            ganache.close();
        }
    }

    @Test
    void theDeterministicKeyIsGanachesAccountZero() {
        assertEquals(GanacheNode.ADDRESS, Credentials.create(GanacheNode.KEY).getAddress());
    }

    @Test
    void deploysOnFirstStartAndReusesTheContractAfterwards() throws Exception {
        Path dir = temp.resolve("deploy");
        String contract;
        try (ChainAnchorer anchorer = ChainAnchorer.start(fastConfig(ganache, dir))) {
            contract = awaitValue("contract deployed", anchorer::contract);
        }
        String code = web3j.ethGetCode(contract, DefaultBlockParameterName.LATEST).send().getCode();
        assertTrue(code.length() > 2, "no code at " + contract);
        List<JsonNode> deployed = journal(dir, "deployed");
        assertEquals(1, deployed.size());
        assertEquals(contract, deployed.get(0).get("contract").asText());

        try (ChainAnchorer again = ChainAnchorer.start(fastConfig(ganache, dir))) {
            assertEquals(contract, again.contract().orElseThrow(), "known from the journal at once");
            again.offer("test/reuse", root("reuse"), 1);
            AnchorReceipt anchor = awaitValue("anchored", () -> again.anchorCovering("test/reuse", 1));
            assertEquals(contract, anchor.contract());
        }
        assertEquals(1, journal(dir, "deploy-signed").size(), "deployed once only");
    }

    @Test
    void anAnchorsReceiptCarriesTheAnchoredEventWithRootAndSize() throws Exception {
        Path dir = temp.resolve("receipt");
        List<AnchorReceipt> heard = new CopyOnWriteArrayList<>();
        byte[] root = root("receipt");
        try (ChainAnchorer anchorer = ChainAnchorer.start(fastConfig(ganache, dir), heard::add)) {
            anchorer.offer("test/receipt", root, 42);
            AnchorReceipt anchor = awaitValue("anchored", () -> anchorer.anchorCovering("test/receipt", 42));

            assertEquals(GanacheNode.CHAIN_ID, anchor.chainId());
            assertArrayEquals(root, anchor.root().bytes());
            assertEquals(42, anchor.treeSize());
            TransactionReceipt receipt = web3j.ethGetTransactionReceipt(anchor.txHash()).send()
                    .getTransactionReceipt().orElseThrow();
            assertTrue(receipt.isStatusOK());
            assertEquals(anchor.blockNumber(), receipt.getBlockNumber().longValueExact());
            assertEquals(1, receipt.getLogs().size());
            Log event = receipt.getLogs().get(0);
            assertEquals(anchor.contract(), event.getAddress().toLowerCase());
            assertEquals(anchor.logIndex(), event.getLogIndex().longValueExact());
            // decoded by hand, independently of AnchorContract: topic0 = keccak of the signature
            assertEquals(org.web3j.crypto.Hash.sha3String("Anchored(bytes32,uint64)"), event.getTopics().get(0));
            assertEquals(Numeric.toHexString(root), event.getTopics().get(1));
            assertEquals(BigInteger.valueOf(42), Numeric.toBigInt(event.getData()));
            assertEquals(List.of(anchor), heard, "the listener heard it once");

            // the part a proof file carries
            ChainAnchor line = anchor.toProofAnchor();
            assertEquals(GanacheNode.CHAIN_ID, line.chainId());
            assertEquals(anchor.contract(), line.contractHex());
            assertEquals("eip155:1337:" + anchor.contract(), line.keyName());
            assertEquals(anchor.txHash(), line.txHashHex());
            assertEquals(anchor.blockNumber(), line.blockNumber());
            assertEquals(anchor.logIndex(), line.logIndex());

            JsonNode stored = journal(dir, "anchored").get(0);
            assertEquals(anchor.txHash(), stored.get("txHash").asText());
            assertEquals(anchor.blockNumber(), stored.get("blockNumber").asLong());
            assertEquals(anchor.logIndex(), stored.get("logIndex").asLong());
            assertEquals(receipt.getGasUsed().longValueExact(), stored.get("gasUsed").asLong());
            System.out.println("gas used per anchor: " + receipt.getGasUsed() + " (contract deployment: "
                    + journal(dir, "deployed").get(0).get("gasUsed").asLong() + ")");
        }
    }

    @Test
    void consecutiveAnchorsUseStrictlyIncreasingNoncesAndCoverTreeSizes() throws Exception {
        Path dir = temp.resolve("sequence");
        try (ChainAnchorer anchorer = ChainAnchorer.start(fastConfig(ganache, dir))) {
            for (long size : new long[] {5, 9, 17}) {
                anchorer.offer("test/seq", root("seq" + size), size);
                awaitValue("anchored size " + size, () -> anchorer.anchorCovering("test/seq", size));
            }
            // two origins in one round; an older size than the last anchor is ignored
            anchorer.offer("test/seq", root("seq3"), 3);
            anchorer.offer("test/seq", root("seq20"), 20);
            anchorer.offer("test/other", root("other1"), 1);
            awaitValue("size 20", () -> anchorer.anchorCovering("test/seq", 20));
            awaitValue("other", () -> anchorer.anchorCovering("test/other", 1));

            assertEquals(List.of(5L, 9L, 17L, 20L),
                    anchorer.anchors("test/seq").stream().map(AnchorReceipt::treeSize).toList());
            assertEquals(9, anchorer.anchorCovering("test/seq", 6).orElseThrow().treeSize());
            assertEquals(5, anchorer.anchorCovering("test/seq", 0).orElseThrow().treeSize());
            assertTrue(anchorer.anchorCovering("test/seq", 21).isEmpty());
            assertEquals(5, anchorer.anchors().size());

            List<Long> nonces = new ArrayList<>();
            for (AnchorReceipt anchor : anchorer.anchors()) {
                nonces.add(web3j.ethGetTransactionByHash(anchor.txHash()).send().getTransaction().orElseThrow()
                        .getNonce().longValueExact());
            }
            for (int i = 1; i < nonces.size(); i++) {
                assertEquals(nonces.get(i - 1) + 1, nonces.get(i), "nonces " + nonces);
            }
            assertEquals(5, journal(dir, "anchor-signed").size(), "one transaction per anchor");
        }
    }

    @Test
    void findsAnchorsByRootWithGetLogs() throws Exception {
        Path dir = temp.resolve("lookup");
        try (ChainAnchorer anchorer = ChainAnchorer.start(fastConfig(ganache, dir))) {
            anchorer.offer("test/lookup", root("lookup7"), 7);
            AnchorReceipt first = awaitValue("7", () -> anchorer.anchorCovering("test/lookup", 7));
            anchorer.offer("test/lookup", root("lookup8"), 8);
            awaitValue("8", () -> anchorer.anchorCovering("test/lookup", 8));

            List<AnchoredEvent> found = anchorer.findByRoot(root("lookup7"));
            assertEquals(List.of(new AnchoredEvent(Sha256Hash.of(root("lookup7"), "root"), 7, first.txHash(),
                    first.blockNumber(), first.logIndex())), found);
            assertEquals(found, AnchorContract.findByRoot(web3j, first.contract(), root("lookup7"), 0),
                    "the same from block 0");
            assertTrue(anchorer.findByRoot(root("never anchored")).isEmpty());
            assertTrue(AnchorContract.findByRoot(web3j, first.contract(), root("lookup7"),
                    first.blockNumber() + 1).isEmpty(), "nothing after its block");
        }
    }

    @Test
    void aNonceSpentElsewhereIsDroppedAndTheAnchorSignedAgainWithANewNonce() throws Exception {
        Path dir = temp.resolve("spent");
        try (ChainAnchorer anchorer = ChainAnchorer.start(fastConfig(ganache, dir))) {
            anchorer.offer("test/spent", root("spent1"), 1);
            AnchorReceipt first = awaitValue("1", () -> anchorer.anchorCovering("test/spent", 1));

            spendNextNonceBehindTheAnchorersBack();
            anchorer.offer("test/spent", root("spent2"), 2);
            AnchorReceipt second = awaitValue("2", () -> anchorer.anchorCovering("test/spent", 2));

            List<JsonNode> dropped = journal(dir, "dropped");
            assertEquals(1, dropped.size(), "the stale nonce is journaled as dropped");
            List<JsonNode> signed = journal(dir, "anchor-signed");
            assertEquals(3, signed.size(), "size 1, size 2 with the stale nonce, size 2 again");
            long stale = dropped.get(0).get("nonce").asLong();
            assertEquals(stale, signed.get(1).get("nonce").asLong());
            assertTrue(signed.get(2).get("nonce").asLong() > stale);
            long secondNonce = web3j.ethGetTransactionByHash(second.txHash()).send().getTransaction().orElseThrow()
                    .getNonce().longValueExact();
            assertEquals(signed.get(2).get("nonce").asLong(), secondNonce);
            assertTrue(second.blockNumber() > first.blockNumber());
        }
    }

    /** Another user of the same key: a plain transfer with the next nonce. */
    private void spendNextNonceBehindTheAnchorersBack() throws IOException {
        BigInteger nonce = web3j.ethGetTransactionCount(GanacheNode.ADDRESS, DefaultBlockParameterName.PENDING)
                .send().getTransactionCount();
        RawTransaction transfer = RawTransaction.createEtherTransaction(GanacheNode.CHAIN_ID, nonce,
                BigInteger.valueOf(21_000), "0x000000000000000000000000000000000000dead", BigInteger.ONE,
                BigInteger.valueOf(1_000_000_000L), BigInteger.valueOf(10_000_000_000L));
        String raw = Numeric.toHexString(TransactionEncoder.signMessage(transfer,
                Credentials.create(GanacheNode.KEY)));
        var sent = web3j.ethSendRawTransaction(raw).send();
        assertFalse(sent.hasError(), () -> sent.getError().getMessage());
    }
}
