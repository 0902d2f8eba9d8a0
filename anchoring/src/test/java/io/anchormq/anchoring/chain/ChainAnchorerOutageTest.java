package io.anchormq.anchoring.chain;

import static io.anchormq.anchoring.chain.ChainTestSupport.await;
import static io.anchormq.anchoring.chain.ChainTestSupport.awaitValue;
import static io.anchormq.anchoring.chain.ChainTestSupport.fastConfig;
import static io.anchormq.anchoring.chain.ChainTestSupport.journal;
import static io.anchormq.anchoring.chain.ChainTestSupport.mining;
import static io.anchormq.anchoring.chain.ChainTestSupport.root;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;

/**
 * Outages and crashes against a real local chain: ganache is stopped and started again (its chain kept on disk),
 * the anchorer is closed and started again on the same journal.
 */
class ChainAnchorerOutageTest {

    private static final String ORIGIN = "test/outage";

    @TempDir
    Path temp;

    private GanacheNode ganache;
    private JdkHttpService service;
    private Web3j web3j;

    private void startChain() {
        ganache = GanacheNode.create(temp.resolve("chain")).start();
        service = new JdkHttpService(ganache.url(), Duration.ofSeconds(5), Duration.ofSeconds(10));
        web3j = Web3j.build(service);
    }

    @AfterEach
    void stopChain() {
        if (ganache != null) {
            ganache.close();
        }
    }

    @Test
    void whileTheNodeIsDownItBacksOffThenTheJournaledTransactionGoesThrough() throws Exception {
        startChain();
        Path dir = temp.resolve("anchorer");
        ChainAnchorerConfig config = fastConfig(ganache, dir).withReplaceAfter(null);
        try (ChainAnchorer anchorer = ChainAnchorer.start(config)) {
            anchorer.offer(ORIGIN, root("1"), 1);
            awaitValue("size 1", () -> anchorer.anchorCovering(ORIGIN, 1));

            mining(service, false);
            anchorer.offer(ORIGIN, root("2"), 2);
            JsonNode pending = awaitSentButUnmined(dir, 2);
            ganache.stop();

            await("four failed steps in a row", () -> anchorer.status().consecutiveFailures() >= 4);
            ChainAnchorer.Status down = anchorer.status();
            assertEquals(backoff(config, down.consecutiveFailures()), down.retryDelay(), down.toString());
            assertTrue(down.retryDelay().compareTo(config.retryInitial()) > 0, "the wait grew: " + down);
            assertTrue(down.lastFailure().orElseThrow().contains("ConnectException"), down.toString());
            assertEquals(1, down.unconfirmedTransactions());
            anchorer.offer(ORIGIN, root("3"), 3); // newer while down: no transaction can be prepared now
            assertEquals(2, journal(dir, "anchor-signed").size());

            ganache.start();
            awaitValue("size 3 after the outage", () -> anchorer.anchorCovering(ORIGIN, 3));
            assertEquals(0, anchorer.status().consecutiveFailures());
            assertEquals(List.of(1L, 2L, 3L), anchorer.anchors(ORIGIN).stream().map(AnchorReceipt::treeSize).toList());
            assertEquals(pending.get("txHash").asText(), anchorer.anchorCovering(ORIGIN, 2).orElseThrow().txHash(),
                    "the transaction signed before the outage is the one mined");
        }
        assertNoncesUsedOnceEach(dir, 4); // deployment + three anchors
    }

    @Test
    void aKilledAnchorersJournaledTransactionIsSentAgainByTheNextOneInsteadOfANewOne() throws Exception {
        startChain();
        Path dir = temp.resolve("anchorer");
        ChainAnchorerConfig config = fastConfig(ganache, dir).withReplaceAfter(null);
        try (ChainAnchorer first = ChainAnchorer.start(config)) {
            first.offer(ORIGIN, root("1"), 1);
            awaitValue("size 1", () -> first.anchorCovering(ORIGIN, 1));
        }
        mining(service, false);
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), AnchorerProcess.class.getName(),
                ganache.url().toString(), dir.toString(), ORIGIN, "2")
                .redirectErrorStream(true)
                .redirectOutput(temp.resolve("child.log").toFile())
                .start();
        JsonNode pending;
        try {
            pending = awaitSentButUnmined(dir, 2);
        } finally {
            child.destroyForcibly().waitFor(); // SIGKILL: no shutdown of any kind
        }
        ganache.stop(); // the node restarts too, its mempool lost: only our journal has the transaction now
        ganache.start();
        String hash = pending.get("txHash").asText();
        assertTrue(web3j.ethGetTransactionByHash(hash).send().getTransaction().isEmpty(), "the node forgot it");

        try (ChainAnchorer second = ChainAnchorer.start(config)) {
            assertEquals(1, second.anchors(ORIGIN).size(), "confirmed anchors are read from the journal at once");
            AnchorReceipt two = awaitValue("size 2 after the restart", () -> second.anchorCovering(ORIGIN, 2));
            assertEquals(hash, two.txHash(), "the journaled transaction, not a new one");
        }
        assertEquals(2, journal(dir, "anchor-signed").size());
        assertNoncesUsedOnceEach(dir, 3);
    }

    @Test
    void aStuckTransactionIsReplacedWithTheSameNonceAndHigherFees() throws Exception {
        startChain();
        Path dir = temp.resolve("anchorer");
        ChainAnchorerConfig config = fastConfig(ganache, dir).withReplaceAfter(Duration.ofMillis(500));
        try (ChainAnchorer anchorer = ChainAnchorer.start(config)) {
            anchorer.offer(ORIGIN, root("1"), 1);
            awaitValue("size 1", () -> anchorer.anchorCovering(ORIGIN, 1));
            mining(service, false);
            anchorer.offer(ORIGIN, root("2"), 2);
            await("a replacement", () -> signedFor(dir, 2).size() >= 2);
            mining(service, true);
            AnchorReceipt two = awaitValue("size 2", () -> anchorer.anchorCovering(ORIGIN, 2));

            List<JsonNode> attempts = signedFor(dir, 2);
            JsonNode original = attempts.get(0);
            JsonNode replacement = attempts.get(1);
            assertEquals(original.get("nonce").asLong(), replacement.get("nonce").asLong());
            assertFalse(original.get("txHash").asText().equals(replacement.get("txHash").asText()));
            assertTrue(replacement.get("maxFeePerGas").bigIntegerValue().multiply(BigInteger.TEN)
                    .compareTo(original.get("maxFeePerGas").bigIntegerValue().multiply(BigInteger.valueOf(11))) >= 0);
            assertTrue(replacement.get("maxPriorityFeePerGas").bigIntegerValue().multiply(BigInteger.TEN).compareTo(
                    original.get("maxPriorityFeePerGas").bigIntegerValue().multiply(BigInteger.valueOf(11))) >= 0);
            assertTrue(attempts.stream().anyMatch(a -> a.get("txHash").asText().equals(two.txHash())));
        }
        assertNoncesUsedOnceEach(dir, 3);
    }

    @Test
    void aNodeUnreachableAtStartIsRetriedUntilItComes() throws Exception {
        ganache = GanacheNode.create(temp.resolve("chain")); // not started: its port is closed
        Path dir = temp.resolve("anchorer");
        ChainAnchorerConfig config = fastConfig(ganache, dir);
        try (ChainAnchorer anchorer = ChainAnchorer.start(config)) {
            anchorer.offer(ORIGIN, root("1"), 1);
            await("three failed steps", () -> anchorer.status().consecutiveFailures() >= 3);
            assertTrue(anchorer.contract().isEmpty());
            ganache.start();
            service = new JdkHttpService(ganache.url(), Duration.ofSeconds(5), Duration.ofSeconds(10));
            web3j = Web3j.build(service);
            awaitValue("size 1", () -> anchorer.anchorCovering(ORIGIN, 1));
            assertTrue(anchorer.contract().isPresent());
        }
        assertNoncesUsedOnceEach(dir, 2);
    }

    /** Waits until the anchor of {@code size} is journaled and the node has it (unmined: mining is off). */
    private JsonNode awaitSentButUnmined(Path dir, long size) {
        JsonNode signed = awaitValue("anchor of size " + size + " journaled",
                () -> signedFor(dir, size).stream().findFirst());
        await("node has " + signed.get("txHash").asText(), () -> {
            try {
                return web3j.ethGetTransactionByHash(signed.get("txHash").asText()).send().getTransaction()
                        .isPresent();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return signed;
    }

    private static List<JsonNode> signedFor(Path dir, long size) {
        return journal(dir, "anchor-signed").stream().filter(n -> n.get("treeSize").asLong() == size).toList();
    }

    /**
     * Every journaled nonce resolved exactly once, resolutions in nonce order 0..n-1 with no gap, and the chain's
     * count for our key equals n: no nonce lost, none used twice.
     */
    private void assertNoncesUsedOnceEach(Path dir, int expected) throws IOException {
        Set<Long> resolved = new HashSet<>();
        long previous = -1;
        for (JsonNode entry : journal(dir)) {
            String type = entry.get("type").asText();
            if (type.equals("anchored") || type.equals("deployed")) {
                long nonce = entry.get("nonce").asLong();
                assertTrue(resolved.add(nonce), "nonce " + nonce + " resolved twice");
                assertEquals(previous + 1, nonce, "resolutions in nonce order without gaps");
                previous = nonce;
            }
        }
        assertEquals(expected, resolved.size());
        BigInteger onChain = web3j.ethGetTransactionCount(GanacheNode.ADDRESS, DefaultBlockParameterName.LATEST)
                .send().getTransactionCount();
        assertEquals(BigInteger.valueOf(expected), onChain);
    }

    private static Duration backoff(ChainAnchorerConfig config, int failures) {
        Duration delay = config.retryInitial().multipliedBy(1L << Math.min(failures - 1, 20));
        return delay.compareTo(config.retryMax()) > 0 ? config.retryMax() : delay;
    }
}
