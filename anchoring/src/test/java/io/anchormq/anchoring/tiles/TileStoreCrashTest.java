package io.anchormq.anchoring.tiles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.testsupport.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash: a child JVM appends and checkpoints in a loop and is killed with SIGKILL at a random moment (most
 * likely while writing a batch's files, which takes most of its time); then this JVM reopens the log. Repeated, so
 * that each child also recovers what the previous kill left. Every size a child reported as checkpointed must still
 * be there, with the entries it wrote, and the files must form a valid tiled log.
 */
class TileStoreCrashTest {

    private static final long LIMIT = 400_000; // keeps the final check fast; a child that gets there just waits

    @TempDir
    Path dir;
    @TempDir
    Path scratch;

    @Test
    void killedWriterLosesNothingItReportedAsCheckpointed() throws Exception {
        Random random = new Random();
        long checkpointed = 0;
        for (int round = 0; round < 5; round++) {
            // odd rounds rotate the journal every few batches, so kills land in background flushes too
            long segmentBytes = round % 2 == 1 ? 64 * 1024 : TileStore.SEGMENT_BYTES;
            Process child = ChildJvm.of(List.of(), CrashingAppender.class, dir.toString(), Long.toString(LIMIT),
                            Long.toString(segmentBytes))
                    .redirectError(scratch.resolve("child-" + round + ".err").toFile())
                    .start();
            LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> readLines(child, lines));
            reader.start();
            try {
                String opened = lines.poll(60, TimeUnit.SECONDS);
                while (opened != null && !opened.startsWith("opened ")) { // the child's recovery logs first
                    System.out.println("round " + round + " child: " + opened);
                    opened = lines.poll(60, TimeUnit.SECONDS);
                }
                assertTrue(opened != null,
                        "round " + round + ": the child did not open the log (see child-" + round + ".err): " + opened);
                assertTrue(Long.parseLong(opened.substring(7)) >= checkpointed, opened);
                // Once it has checkpointed (a loaded machine may take a while to get there), on a timer of its
                // own, not on the child's output, so that the kill lands anywhere in its loop.
                List<String> seen = new ArrayList<>();
                String first = lines.poll(60, TimeUnit.SECONDS);
                while (first != null && !first.startsWith(CrashingAppender.CHECKPOINTED)) {
                    seen.add(first);
                    first = lines.poll(60, TimeUnit.SECONDS);
                }
                assertTrue(first != null, "round " + round + ": the child checkpointed nothing within 60 s");
                seen.add(first);
                Thread.sleep(200 + random.nextInt(800));
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                reader.join(10_000);
                seen.addAll(lines);
                for (String line : seen) {
                    if (line.startsWith(CrashingAppender.CHECKPOINTED)) {
                        checkpointed = Math.max(checkpointed, Long.parseLong(line.substring(13)));
                    } else if (line.contains("WARN")) {
                        System.out.println("round " + round + " child: " + line);
                    }
                }
            } finally {
                child.destroyForcibly();
            }
            assertTrue(checkpointed > 0, "round " + round + ": the child checkpointed nothing");
            // Check a copy, so that the next child recovers from the kill itself.
            Path copy = Files.createDirectory(scratch.resolve("round-" + round));
            copyTree(dir, copy);
            long recovered = checkRecoveredLog(copy, checkpointed);
            System.out.println("round " + round + ": last reported checkpoint " + checkpointed + ", recovered "
                    + recovered);
        }
    }

    /**
     * A kill leaves the page cache intact; a power loss may lose every write not forced. Emulated at its worst: each
     * tile and bundle file the journal's base does not need is emptied, and so is the checkpoint file.
     */
    @Test
    void powerLossThatEmptiesEveryUnforcedFileLosesNoCheckpointedEntry() throws Exception {
        Random random = new Random(20261202);
        try (TileStore store = TileStore.open(dir, TestLog::readCheckpoint, 64 * 1024,
                TileStore.PUBLISH_INTERVAL_MILLIS)) {
            long size = 0;
            for (int batch = 1; batch <= 120; batch++) {
                size = store.append(TestLog.entries(size, size + 1 + random.nextInt(700)));
                store.writeCheckpoint(TestLog.checkpoint(size, store.rootHash(size)));
                if (batch % 30 == 0) {
                    // a flush done, then one batch more (too small to rotate again): only the journal holds it
                    store.flushNow();
                    size = store.append(TestLog.entries(size, size + 1 + random.nextInt(100)));
                    store.writeCheckpoint(TestLog.checkpoint(size, store.rootHash(size)));
                    Path copy = Files.createDirectory(scratch.resolve("batch-" + batch));
                    synchronized (store) { // as the publisher thread leaves it, not while it writes
                        copyTree(dir, copy);
                    }
                    long base = Journal.read(copy.resolve(".anchormq/journal")).base().size();
                    Set<String> durable = TileStoreTest.specFiles(base);
                    int emptied = 0;
                    for (String file : TileStoreTest.servedFiles(copy)) {
                        if (!durable.contains(file) || file.equals("checkpoint")) {
                            Files.write(copy.resolve(file), new byte[0]);
                            emptied++;
                        }
                    }
                    assertTrue(base > 0 && emptied > 3, "base " + base + ", emptied " + emptied);
                    assertEquals(size, checkRecoveredLog(copy, size), "after batch " + batch);
                }
            }
        }
    }

    private static long checkRecoveredLog(Path dir, long checkpointed) throws IOException {
        long size;
        try (TileStore store = TileStoreTest.open(dir)) {
            size = store.size();
            assertTrue(size >= checkpointed, "recovered size " + size + " < reported " + checkpointed);
            List<byte[]> leaves = TestLog.leafHashes(size);
            byte[] root = TestLog.root(leaves, size);
            assertArrayEquals(root, store.rootHash(size));
            assertEquals(TestLog.checkpoint(size, root), Files.readString(dir.resolve("checkpoint")));
            assertArrayEquals(TestLog.entry(size - 1), store.entry(size - 1));
            assertArrayEquals(TestLog.entry(checkpointed / 2), store.entry(checkpointed / 2));
            // the files themselves, as a tlog-tiles client would read them
            for (long n = 0; n * 256 < size; n++) {
                int width = (int) Math.min(256, size - n * 256);
                TileId bundle = new TileId(TileId.ENTRIES, n, width);
                List<byte[]> entries = EntryBundle.decode(Files.readAllBytes(dir.resolve(bundle.path())), width,
                        bundle.path());
                byte[] tile = Files.readAllBytes(dir.resolve(new TileId(0, n, width).path()));
                assertEquals(width * 32, tile.length);
                for (int i = 0; i < width; i++) {
                    long index = n * 256 + i;
                    assertArrayEquals(TestLog.entry(index), entries.get(i), "entry " + index);
                    assertArrayEquals(leaves.get((int) index), Arrays.copyOfRange(tile, i * 32, i * 32 + 32));
                }
            }
            assertArrayEquals(Rfc9162.leafHash(TestLog.entry(0)), store.hash(0, 0));
        }
        TileStoreTest.assertServes(dir, size);
        return size;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    private static void readLines(Process child, LinkedBlockingQueue<String> lines) {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (IOException e) {
            // the child was killed
        }
    }
}
