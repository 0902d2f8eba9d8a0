package io.anchormq.anchoring.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal file and the rules the ledger enforces over it (real files, no chain). */
class AnchorJournalTest {

    private static final String FROM = GanacheNode.ADDRESS;
    private static final String CONTRACT = "0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab";
    private static final String ROOT = "0x" + "ab".repeat(32);

    @TempDir
    Path dir;

    @Test
    void entriesSurviveReopening() throws IOException {
        List<JournalEntry> written = List.of(deploy(0, "0x01"),
                new JournalEntry.Deployed(1337, CONTRACT, 0, "0x01", 1, 123_227, "2026-01-01T00:00:00Z"),
                anchor(1, "0x02", "o", ROOT, 5),
                new JournalEntry.Anchored(1337, CONTRACT, "o", ROOT, 5, 1, "0x02", 2, 0, 23_468,
                        BigInteger.valueOf(1_875_000_000L), "2026-01-01T00:00:01Z"));
        try (AnchorJournal journal = AnchorJournal.open(dir)) {
            for (JournalEntry entry : written) {
                journal.append(entry);
            }
        }
        try (AnchorJournal journal = AnchorJournal.open(dir)) {
            assertEquals(written, journal.loaded());
        }
    }

    @Test
    void anIncompleteLastLineIsCutOffAndAppendsGoOn() throws IOException {
        try (AnchorJournal journal = AnchorJournal.open(dir)) {
            journal.append(anchor(0, "0x01", "o", ROOT, 1));
        }
        Path file = dir.resolve(AnchorJournal.FILE_NAME);
        Files.writeString(file, "{\"type\":\"anchor-signed\",\"chainId\":13", StandardOpenOption.APPEND);
        try (AnchorJournal journal = AnchorJournal.open(dir)) {
            assertEquals(1, journal.loaded().size());
            journal.append(anchor(1, "0x02", "o", ROOT, 2));
        }
        try (AnchorJournal journal = AnchorJournal.open(dir)) {
            assertEquals(2, journal.loaded().size());
        }
        assertTrue(Files.readString(file).endsWith("}\n"));
    }

    @Test
    void aBrokenCompleteLineIsAnErrorNamingTheLine() throws IOException {
        try (AnchorJournal journal = AnchorJournal.open(dir)) {
            journal.append(anchor(0, "0x01", "o", ROOT, 1));
        }
        Path file = dir.resolve(AnchorJournal.FILE_NAME);
        Files.writeString(file, "{\"type\":\"anchored\",\"nonce\":\"zero\"}\n", StandardOpenOption.APPEND);
        IOException e = assertThrows(IOException.class, () -> AnchorJournal.open(dir));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(file, "{\"type\":\"mystery\",\"nonce\":0}\n", StandardCharsets.UTF_8);
        e = assertThrows(IOException.class, () -> AnchorJournal.open(dir));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("mystery"), e.getMessage());
    }

    @Test
    void oneAnchorerPerJournal() throws IOException {
        try (AnchorJournal journal = AnchorJournal.open(dir)) {
            IOException e = assertThrows(IOException.class, () -> AnchorJournal.open(dir));
            assertTrue(e.getMessage().contains("locked"), e.getMessage());
        }
        AnchorJournal.open(dir).close(); // free again once closed
    }

    @Test
    void aNonceIsNeverReusedForADifferentAnchor() {
        AnchorLedger ledger = new AnchorLedger();
        ledger.apply(anchor(3, "0x01", "o", ROOT, 1));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ledger.check(anchor(3, "0x02", "o", ROOT, 2)));
        assertTrue(e.getMessage().contains("nonce 3 reused"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> ledger.check(anchor(3, "0x02", "other", ROOT, 1)));
        assertThrows(IllegalStateException.class, () -> ledger.check(deploy(3, "0x02")));

        ledger.check(anchor(3, "0x02", "o", ROOT, 1)); // a fee bump: same nonce, same anchor
        ledger.apply(anchor(3, "0x02", "o", ROOT, 1));
        assertEquals(2, ledger.unresolved().get(3L).size());

        ledger.apply(new JournalEntry.Dropped(3, "spent elsewhere", "2026-01-01T00:00:00Z"));
        e = assertThrows(IllegalStateException.class, () -> ledger.check(anchor(3, "0x03", "o", ROOT, 1)));
        assertTrue(e.getMessage().contains("nonces only grow"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> ledger.check(anchor(2, "0x03", "o", ROOT, 1)));
        ledger.check(anchor(4, "0x03", "o", ROOT, 1));
    }

    @Test
    void aResolutionMustNameAnUnresolvedNonceAndOneOfItsTransactions() {
        AnchorLedger ledger = new AnchorLedger();
        ledger.apply(anchor(0, "0x01", "o", ROOT, 1));
        assertThrows(IllegalStateException.class, () -> ledger.check(
                new JournalEntry.Anchored(1337, CONTRACT, "o", ROOT, 1, 1, "0x01", 2, 0, 1, null, "t")));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ledger.check(
                new JournalEntry.Anchored(1337, CONTRACT, "o", ROOT, 1, 0, "0x99", 2, 0, 1, null, "t")));
        assertTrue(e.getMessage().contains("never signed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> ledger.check(
                new JournalEntry.Deployed(1337, CONTRACT, 0, "0x01", 2, 1, "t")));
    }

    @Test
    void aJournalOfAnotherKeyIsRefusedAtStart() throws IOException {
        try (AnchorJournal journal = AnchorJournal.open(dir)) {
            journal.append(new JournalEntry.AnchorSigned(1337, "0xffcf8fdee72ac11b5c542428b35eef5769c409f0",
                    CONTRACT, "o", ROOT, 1, 0, "0x01", "0x00", 30_000, BigInteger.TEN, BigInteger.ONE,
                    "2026-01-01T00:00:00Z"));
        }
        ChainAnchorerConfig config = ChainAnchorerConfig.of(URI.create("http://127.0.0.1:9"), GanacheNode.KEY, dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChainAnchorer.start(config));
        assertTrue(e.getMessage().contains("one journal directory per key"), e.getMessage());
        AnchorJournal.open(dir).close(); // and the lock was released
    }

    @Test
    void theConfigNeverPrintsTheKey() {
        ChainAnchorerConfig config = ChainAnchorerConfig.of(URI.create("https://user:pw@node.example/v3/SECRET"),
                GanacheNode.KEY, dir);
        String printed = config.toString();
        assertTrue(!printed.contains(GanacheNode.KEY.substring(2)) && !printed.contains("SECRET")
                && !printed.contains("pw"), printed);
        assertThrows(IllegalArgumentException.class, () -> ChainAnchorerConfig.of(URI.create("http://x"),
                "0x1234", dir));
    }

    private static JournalEntry.AnchorSigned anchor(long nonce, String hash, String origin, String root, long size) {
        return new JournalEntry.AnchorSigned(1337, FROM, CONTRACT, origin, root, size, nonce, hash, "0x02f8",
                30_000, BigInteger.valueOf(3_000_000_000L), BigInteger.valueOf(1_000_000_000L),
                "2026-01-01T00:00:00Z");
    }

    private static JournalEntry.DeploySigned deploy(long nonce, String hash) {
        return new JournalEntry.DeploySigned(1337, FROM, CONTRACT, nonce, hash, "0x02f9", 150_000,
                BigInteger.valueOf(3_000_000_000L), BigInteger.valueOf(1_000_000_000L), "2026-01-01T00:00:00Z");
    }
}
