package io.anchormq.anchoring.tiles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.merkle.MerkleTree;
import io.anchormq.anchoring.merkle.ProofException;
import io.anchormq.anchoring.merkle.ProofVerifier;
import io.anchormq.anchoring.merkle.Rfc9162;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TileStoreTest {

    private static final Pattern PARTIAL = Pattern.compile("(.*)\\.p/(\\d+)");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 255, 256, 257, 65536, 70000})
    void writesExactlyTheTilesAndBundlesTheSpecDefinesForASize(long size) throws IOException {
        try (TileStore store = open(dir)) {
            store.append(TestLog.entries(0, size)); // one batch: no partial tiles of intermediate sizes
            store.writeCheckpoint(TestLog.checkpoint(size, store.rootHash(size)));
        }
        assertEquals(specFiles(size), servedFiles(dir));
        if (size == 70000) { // the spec's example, spelled out
            TreeSet<String> files = servedFiles(dir);
            assertEquals(273, files.stream().filter(f -> f.matches("tile/0/(x\\d{3}/)*\\d{3}")).count());
            assertTrue(files.contains("tile/0/273.p/112"));
            assertTrue(files.contains("tile/1/000"));
            assertTrue(files.contains("tile/1/001.p/17"));
            assertTrue(files.contains("tile/2/000.p/1"));
            assertEquals(273, files.stream().filter(f -> f.matches("tile/entries/\\d{3}")).count());
            assertTrue(files.contains("tile/entries/273.p/112"));
        }
    }

    @Test
    void tileFilesHoldTheReferenceTreeHashesAndBundlesTheEntries() throws IOException {
        long size = 70000;
        try (TileStore store = open(dir)) {
            for (long from = 0; from < size; from += 4096) {
                store.append(TestLog.entries(from, Math.min(size, from + 4096)));
            }
            store.writeCheckpoint(TestLog.checkpoint(size, store.rootHash(size))); // partial tiles: of a checkpoint
        }
        List<byte[]> leaves = TestLog.leafHashes(size);
        for (int level = 0; level <= 2; level++) {
            long hashes = TileId.hashCount(level, size);
            for (long n = 0; n * 256 < hashes; n++) {
                TileId tile = new TileId(level, n, (int) Math.min(256, hashes - n * 256));
                byte[] content = Files.readAllBytes(dir.resolve(tile.path()));
                assertEquals(tile.width() * 32, content.length, tile.path());
                for (int i = 0; i < tile.width(); i++) {
                    long span = 1L << tile.treeLevel();
                    long first = (tile.firstHashIndex() + i) * span;
                    assertArrayEquals(TestLog.mth(leaves, first, first + span),
                            Arrays.copyOfRange(content, i * 32, i * 32 + 32), tile.path() + " hash " + i);
                }
            }
        }
        for (long n = 0; n * 256 < size; n++) {
            TileId bundle = new TileId(TileId.ENTRIES, n, (int) Math.min(256, size - n * 256));
            List<byte[]> entries = EntryBundle.decode(Files.readAllBytes(dir.resolve(bundle.path())),
                    bundle.width(), bundle.path());
            for (int i = 0; i < bundle.width(); i++) {
                assertArrayEquals(TestLog.entry(n * 256 + i), entries.get(i), bundle.path() + " entry " + i);
            }
        }
    }

    @Test
    void hashesAndRootsEqualTheReferenceTreeAfterEveryBatch() throws IOException {
        Random random = new Random(7);
        List<byte[]> leaves = TestLog.leafHashes(3000);
        try (TileStore store = open(dir)) {
            assertArrayEquals(Rfc9162.emptyRoot(), store.rootHash(0));
            long size = 0;
            while (size < 3000) {
                long to = Math.min(3000, size + 1 + random.nextInt(random.nextBoolean() ? 5 : 700));
                assertEquals(to, store.append(TestLog.entries(size, to)));
                size = to;
                assertEquals(size, store.size());
                assertArrayEquals(TestLog.root(leaves, size), store.rootHash(size), "root of " + size);
            }
            for (int level = 0; 1L << level <= size; level++) {
                for (long i = 0; (i + 1) << level <= size; i++) {
                    assertArrayEquals(TestLog.mth(leaves, i << level, (i + 1) << level), store.hash(level, i),
                            "node " + level + "/" + i);
                }
            }
            for (long s = 0; s <= size; s += 97) { // every older tree size stays computable
                assertArrayEquals(TestLog.root(leaves, s), store.rootHash(s), "root of " + s);
            }
            for (long i = 0; i < size; i++) {
                assertArrayEquals(TestLog.entry(i), store.entry(i), "entry " + i);
            }
            long stored = size;
            assertThrows(IllegalArgumentException.class, () -> store.hash(0, stored));
            assertThrows(IllegalArgumentException.class, () -> store.hash(2, stored / 4));
            assertThrows(IllegalArgumentException.class, () -> store.hash(-1, 0));
            assertThrows(IllegalArgumentException.class, () -> store.entry(stored));
        }
    }

    @Test
    void proofsOverTheStoreVerify() throws IOException, ProofException {
        long[] sizes = {1, 255, 256, 257, 4000, 65536, 70000};
        byte[][] roots = new byte[sizes.length][];
        try (TileStore store = open(dir)) {
            long size = 0;
            for (int s = 0; s < sizes.length; s++) {
                size = store.append(TestLog.entries(size, sizes[s]));
                roots[s] = MerkleTree.root(store, size);
                store.writeCheckpoint(TestLog.checkpoint(size, roots[s]));
            }
        }
        List<byte[]> leaves = TestLog.leafHashes(70000);
        try (TileStore store = open(dir)) { // after a reopen: the index as rebuilt from the tiles
            Random random = new Random(3);
            for (int s = 0; s < sizes.length; s++) {
                assertArrayEquals(TestLog.root(leaves, sizes[s]), roots[s]);
                for (int k = 0; k < 50; k++) {
                    long leaf = random.nextInt((int) sizes[s]);
                    ProofVerifier.verifyInclusion(Rfc9162.leafHash(store.entry(leaf)), leaf, sizes[s],
                            MerkleTree.inclusionProof(store, leaf, sizes[s]), roots[s]);
                }
                for (int t = s; t < sizes.length; t++) {
                    ProofVerifier.verifyConsistency(sizes[s], sizes[t],
                            MerkleTree.consistencyProof(store, sizes[s], sizes[t]), roots[s], roots[t]);
                }
            }
        }
    }

    @Test
    void reopensAndContinues() throws IOException {
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 1000);
        }
        try (TileStore store = open(dir)) {
            assertEquals(1000, store.size());
            assertArrayEquals(TestLog.entry(999), store.entry(999));
            appendAndCheckpoint(store, 1000, 1300);
            appendAndCheckpoint(store, 1300, 1301);
        }
        try (TileStore store = open(dir)) {
            assertEquals(1301, store.size());
            assertArrayEquals(TestLog.root(TestLog.leafHashes(1301), 1301), store.rootHash(1301));
            for (long i = 0; i < 1301; i++) {
                assertArrayEquals(TestLog.entry(i), store.entry(i), "entry " + i);
            }
        }
        assertServes(dir, 1301);
    }

    @Test
    void rangesOfEntriesAreReadAcrossBundles() throws IOException {
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 700); // bundles 0 and 1 full, bundle 2 partial (188 entries)
            for (long[] range : new long[][] {{0, 0}, {0, 1}, {0, 700}, {255, 257}, {256, 512}, {300, 700},
                    {699, 700}, {700, 700}}) {
                List<byte[]> entries = store.entries(range[0], range[1]);
                assertEquals(range[1] - range[0], entries.size(), Arrays.toString(range));
                for (int i = 0; i < entries.size(); i++) {
                    assertArrayEquals(TestLog.entry(range[0] + i), entries.get(i), "entry " + (range[0] + i));
                }
            }
            assertThrows(IllegalArgumentException.class, () -> store.entries(0, 701));
            assertThrows(IllegalArgumentException.class, () -> store.entries(-1, 5));
            assertThrows(IllegalArgumentException.class, () -> store.entries(6, 5));
        }
    }

    @Test
    void hashIndexIsRebuiltFromTheTilesWhenLostOrDamaged() throws IOException {
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 5000);
        }
        Path level3 = dir.resolve(".anchormq/hashes/3");
        byte[] damaged = Files.readAllBytes(level3);
        damaged[5 * 32] ^= 1;
        Files.write(level3, damaged);
        deleteRecursively(dir.resolve(".anchormq/hashes/0"));
        List<byte[]> leaves = TestLog.leafHashes(5000);
        try (TileStore store = open(dir)) {
            assertArrayEquals(TestLog.mth(leaves, 5 * 8, 6 * 8), store.hash(3, 5));
            assertArrayEquals(leaves.get(4999), store.hash(0, 4999));
            appendAndCheckpoint(store, 5000, 5100);
        }
    }

    @Test
    void tornTailBeyondTheCheckpointIsRemoved() throws IOException {
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 700);
            store.append(TestLog.entries(700, 3000)); // never checkpointed
            store.append(TestLog.entries(3000, 70000));
        }
        assertTrue(Files.exists(dir.resolve("tile/1/000")));
        try (TileStore store = open(dir)) {
            assertEquals(700, store.size());
            assertEquals(specFiles(700), servedFiles(dir));
            // the log continues at 700 with different entries than the torn ones
            List<byte[]> other = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                other.add(("other " + i).getBytes());
            }
            store.append(other);
            List<byte[]> leaves = TestLog.leafHashes(700);
            other.forEach(e -> leaves.add(Rfc9162.leafHash(e)));
            store.writeCheckpoint(TestLog.checkpoint(1200, TestLog.root(leaves, 1200)));
            assertArrayEquals("other 499".getBytes(), store.entry(1199));
        }
        try (TileStore store = open(dir)) {
            assertEquals(1200, store.size());
            assertArrayEquals("other 0".getBytes(), store.entry(700));
        }
    }

    @Test
    void tornBatchWithSomeFilesMissingIsRemoved() throws IOException {
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 300);
            store.append(TestLog.entries(300, 2000));
        }
        // as if the crash hit while the batch's files were being renamed into place
        Files.delete(dir.resolve("tile/0/002"));
        Files.delete(dir.resolve("tile/entries/005"));
        try (TileStore store = open(dir)) {
            assertEquals(300, store.size());
            appendAndCheckpoint(store, 300, 2000);
        }
        assertServes(dir, 2000);
    }

    @Test
    void olderCheckpointIsRecoveredEvenAfterItsPartialTilesWereSuperseded() throws IOException {
        String checkpoint100;
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 100);
            checkpoint100 = Files.readString(dir.resolve("checkpoint"));
            appendAndCheckpoint(store, 100, 400);
        }
        assertFalse(Files.exists(dir.resolve("tile/0/000.p/100")));
        // as if the process died after writing the tiles of 400 but before the checkpoint of 400
        Files.writeString(dir.resolve("checkpoint"), checkpoint100);
        try (TileStore store = open(dir)) {
            assertEquals(100, store.size());
            assertEquals(specFiles(100), servedFiles(dir)); // 000.p/100 rebuilt from the full tile's prefix
            assertArrayEquals(TestLog.entry(99), store.entry(99));
            appendAndCheckpoint(store, 100, 257);
        }
    }

    @Test
    void partialTilesAreDeletedOnceACheckpointCoversTheirFullTile() throws IOException {
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 100);
            store.append(TestLog.entries(100, 300));
            // the published checkpoint (100) still needs them until a newer one is written
            assertTrue(Files.exists(dir.resolve("tile/0/000.p/100")));
            assertTrue(Files.exists(dir.resolve("tile/entries/000.p/100")));
            assertArrayEquals(TestLog.entry(50), store.entry(50));
            store.writeCheckpoint(TestLog.checkpoint(300, store.rootHash(300)));
            assertEquals(specFiles(300), servedFiles(dir));
        }
    }

    @Test
    void aCheckpointNotOfTheStoredTreeIsNotWritten() throws IOException {
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 10);
            store.append(TestLog.entries(10, 20));
            byte[] root15 = store.rootHash(15);
            IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
                    () -> store.writeCheckpoint(TestLog.checkpoint(21, root15)));
            assertTrue(tooBig.getMessage().contains("exceeds the stored tree size 20"), tooBig.getMessage());
            IllegalArgumentException wrongRoot = assertThrows(IllegalArgumentException.class,
                    () -> store.writeCheckpoint(TestLog.checkpoint(16, root15)));
            assertTrue(wrongRoot.getMessage().contains("is not the root of the stored tree of size 16"));
            assertThrows(IllegalArgumentException.class, () -> store.writeCheckpoint("garbage"));
            store.writeCheckpoint(TestLog.checkpoint(15, root15)); // a size below the stored one is fine
            assertEquals(TestLog.checkpoint(15, root15), Files.readString(dir.resolve("checkpoint")));
            store.writeCheckpoint(TestLog.checkpoint(15, root15)); // so is the same size again
            IllegalArgumentException back = assertThrows(IllegalArgumentException.class,
                    () -> store.writeCheckpoint(TestLog.checkpoint(14, store.rootHash(14))));
            assertTrue(back.getMessage().contains("is below the current checkpoint's 15"), back.getMessage());
        }
    }

    @Test
    void oversizedEntriesAreRefused() throws IOException {
        try (TileStore store = open(dir)) {
            store.append(List.of(new byte[65535], new byte[0]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.append(List.of(new byte[1], new byte[65536])));
            assertTrue(e.getMessage().startsWith("entry 1 of the batch is 65536 bytes"), e.getMessage());
            assertEquals(2, store.size());
            assertEquals(65535, store.entry(0).length);
            assertEquals(0, store.entry(1).length);
        }
    }

    @Test
    void aSecondOpenOfTheSameLogIsRefused() throws IOException {
        try (TileStore store = open(dir)) {
            IOException e = assertThrows(IOException.class, () -> open(dir));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
        }
        open(dir).close();
    }

    // --- refusals: a log that does not match its checkpoint is never opened

    @Test
    void flippedByteInAFullLevel0TileIsRefused() throws IOException {
        writeLog(1000);
        flipByte(dir.resolve("tile/0/001"), 100);
        assertRefused("tile/1/000.p/3: hash 1 is", "but tile/0/001 hashes to");
    }

    @Test
    void flippedByteInThePartialLevel0TileIsRefused() throws IOException {
        writeLog(1000);
        flipByte(dir.resolve("tile/0/003.p/232"), 7 * 32);
        assertRefused("tile/entries/003.p/232: entry 7 (log index 775) hashes to", "but hash 7 of tile/0/003.p/232");
    }

    @Test
    void flippedByteInALevel1TileIsRefused() throws IOException {
        writeLog(70000);
        flipByte(dir.resolve("tile/1/000"), 8000);
        assertRefused("tile/1/000: hash 250 is", "but tile/0/250 hashes to");
    }

    @Test
    void truncatedBundleIsRefused() throws IOException {
        writeLog(1000);
        Path bundle = dir.resolve("tile/entries/001");
        byte[] content = Files.readAllBytes(bundle);
        Files.write(bundle, Arrays.copyOf(content, content.length - 5)); // entry 255 is 8 bytes
        assertRefused("tile/entries/001: truncated inside entry 255");
    }

    @Test
    void missingTileBelowTheCheckpointIsRefused() throws IOException {
        writeLog(1000);
        Files.delete(dir.resolve("tile/0/002"));
        assertRefused("tile/0/002: missing, but the checkpoint's tree of size 1000 needs it");
    }

    @Test
    void missingPartialBundleIsRefused() throws IOException {
        writeLog(1000);
        Files.delete(dir.resolve("tile/entries/003.p/232"));
        assertRefused("tile/entries/003.p/232: missing");
    }

    @Test
    void truncatedTileIsRefused() throws IOException {
        writeLog(1000);
        Path tile = dir.resolve("tile/0/000");
        Files.write(tile, Arrays.copyOf(Files.readAllBytes(tile), 8191));
        assertRefused("tile/0/000: 8191 bytes, but a tile of 256 hashes has 8192");
    }

    @Test
    void checkpointWithAnotherRootIsRefused() throws IOException {
        writeLog(1000);
        Files.writeString(dir.resolve("checkpoint"), TestLog.checkpoint(1000, Rfc9162.sha256(new byte[1])));
        assertRefused("the tiles give the tree of size 1000 the root", "but the checkpoint commits to");
    }

    @Test
    void checkpointBeyondTheStoredTilesIsRefused() throws IOException {
        writeLog(1000);
        Files.writeString(dir.resolve("checkpoint"), TestLog.checkpoint(1100, Rfc9162.emptyRoot()));
        assertRefused("tile/entries/003: missing, but the checkpoint's tree of size 1100 needs it");
    }

    @Test
    void missingCheckpointWithTilesPresentIsRefused() throws IOException {
        writeLog(10);
        Files.delete(dir.resolve("checkpoint"));
        assertRefused("checkpoint: missing, but tile/ holds data");
    }

    @Test
    void unreadableCheckpointIsRefused() throws IOException {
        writeLog(10);
        Files.writeString(dir.resolve("checkpoint"), "forged\n");
        assertRefused("checkpoint: rejected: not a test checkpoint");
    }

    @Test
    void olderCheckpointThanAVerifiedOneIsRefused() throws IOException {
        String checkpoint10;
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, 10);
            checkpoint10 = Files.readString(dir.resolve("checkpoint"));
            appendAndCheckpoint(store, 10, 20);
        }
        open(dir).close(); // verified at 20
        Files.writeString(dir.resolve("checkpoint"), checkpoint10);
        assertRefused("checkpoint: tree size 10 is below the size 20 this log was verified at before");
    }

    @Test
    void strayFileInTheTileTreeIsRefused() throws IOException {
        writeLog(300);
        Files.writeString(dir.resolve("tile/0/notes.txt"), "?");
        assertRefused("tile/0/notes.txt: not a tlog-tiles path this log writes");
    }

    @Test
    void directoryInPlaceOfATileIsRefused() throws IOException {
        writeLog(1000);
        Files.delete(dir.resolve("tile/0/001"));
        Files.createDirectory(dir.resolve("tile/0/001"));
        assertRefused("tile/0/001: unreadable");
    }

    @Test
    void nonCanonicalTilePathIsRefused() throws IOException {
        writeLog(300);
        Files.createDirectories(dir.resolve("tile/0/x000"));
        Files.copy(dir.resolve("tile/0/000"), dir.resolve("tile/0/x000/000"));
        assertRefused("tile/0/x000: not a tlog-tiles path this log writes");
    }

    private void writeLog(long size) throws IOException {
        try (TileStore store = open(dir)) {
            appendAndCheckpoint(store, 0, size);
        }
    }

    private void assertRefused(String... messageParts) {
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir).close());
        for (String part : messageParts) {
            assertTrue(e.getMessage().contains(part), "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
        }
    }

    @Test
    void aJournalSegmentRotatesOnAgeAsWellAsOnSize() throws IOException {
        try (TileStore store = open(dir)) {
            long first = newestJournalSegment();
            store.segmentMaxAge(0); // at a low rate a segment would take hours to fill
            for (int batch = 0; batch < 5; batch++) {
                long from = store.size();
                store.append(TestLog.entries(from, from + 10));
                store.writeCheckpoint(TestLog.checkpoint(from + 10, store.rootHash(from + 10)));
            }
            assertTrue(newestJournalSegment() > first, "no rotation after 5 checkpoints of a segment older than 0 ms");
        }
        try (TileStore store = open(dir)) {
            assertEquals(50, store.size());
            assertArrayEquals(TestLog.root(TestLog.leafHashes(50), 50), store.rootHash(50));
        }
    }

    // --- helpers

    private long newestJournalSegment() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve(".anchormq/journal"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("[0-9]{16}"))
                    .mapToLong(Long::parseLong).max().orElseThrow();
        }
    }

    /** Publishing at every checkpoint, so that the files on disk follow each one. */
    static TileStore open(Path dir) throws IOException {
        return TileStore.open(dir, TestLog::readCheckpoint, TileStore.SEGMENT_BYTES, 0);
    }

    static void appendAndCheckpoint(TileStore store, long from, long to) throws IOException {
        for (long start = from; start < to; start += 4096) {
            store.append(TestLog.entries(start, Math.min(to, start + 4096)));
        }
        store.writeCheckpoint(TestLog.checkpoint(to, store.rootHash(to)));
    }

    /** What the spec says a static server must serve for a tree of {@code size} (just the latest checkpoint). */
    static TreeSet<String> specFiles(long size) {
        TreeSet<String> files = new TreeSet<>();
        files.add("checkpoint");
        for (int level = TileId.ENTRIES; level <= TileId.MAX_LEVEL; level++) {
            for (long n = 0; n < TileId.fullTileCount(level, size); n++) {
                files.add(new TileId(level, n, 256).path());
            }
            TileId partial = TileId.partialTile(level, size);
            if (partial != null) {
                files.add(partial.path());
            }
        }
        return files;
    }

    /**
     * The directory serves the spec's files for {@code size}, plus at most narrower partial tiles of positions that
     * are still partial (earlier checkpoints needed them; the spec lets them go only once the full tile exists).
     */
    static void assertServes(Path dir, long size) throws IOException {
        TreeSet<String> spec = specFiles(size);
        TreeSet<String> served = servedFiles(dir);
        assertTrue(served.containsAll(spec), "missing " + spec.stream().filter(f -> !served.contains(f)).toList());
        for (String extra : served) {
            if (spec.contains(extra)) {
                continue;
            }
            Matcher partial = PARTIAL.matcher(extra);
            assertTrue(partial.matches(), "served " + extra + " beyond the spec's files for " + size);
            String current = spec.stream().filter(f -> f.startsWith(partial.group(1) + ".p/")).findFirst()
                    .orElseThrow(() -> new AssertionError("served " + extra + ", but its position is full or empty"));
            int currentWidth = Integer.parseInt(current.substring(current.lastIndexOf('/') + 1));
            assertTrue(Integer.parseInt(partial.group(2)) < currentWidth, extra + " is not narrower than " + current);
        }
    }

    /** Every regular file a static server pointed at the directory would serve, except the private directory. */
    static TreeSet<String> servedFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .map(p -> dir.relativize(p).toString())
                    .filter(p -> !p.startsWith(".anchormq/"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static void flipByte(Path file, int offset) throws IOException {
        byte[] content = Files.readAllBytes(file);
        content[offset] ^= 0x40;
        Files.write(file, content);
    }

    private static void deleteRecursively(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }
}
