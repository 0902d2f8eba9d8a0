package io.anchormq.anchoring.tiles;

import io.anchormq.anchoring.merkle.MerkleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A rough manual measurement, not a test (speed is measured with JMH later): durable appends in batches, the time
 * to reopen (full verification), and the cost of one inclusion proof computed over the store. Run with
 * {@code java -cp <test class path> io.anchormq.anchoring.tiles.TileStoreThroughput <new dir> [entries] [batch]
 * [entry bytes]}; on an existing log it only times opening it.
 */
public final class TileStoreThroughput {

    private TileStoreThroughput() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long total = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        int entryBytes = args.length > 3 ? Integer.parseInt(args[3]) : 150;
        if (Files.exists(dir.resolve("checkpoint"))) { // an existing log: only time opening it
            long start = System.nanoTime();
            try (TileStore store = TileStore.open(dir, TestLog::readCheckpoint)) {
                System.out.printf("opened %d entries in %.2f s%n", store.size(), (System.nanoTime() - start) / 1e9);
                timeInclusionProofs(store);
            }
            return;
        }
        Random random = new Random(1);
        List<byte[]> entries = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            byte[] entry = new byte[entryBytes];
            random.nextBytes(entry);
            entries.add(entry);
        }
        try (TileStore store = TileStore.open(dir, TestLog::readCheckpoint)) {
            long start = System.nanoTime();
            long size = 0;
            while (size < total) {
                size = store.append(entries);
                store.writeCheckpoint(TestLog.checkpoint(size, store.rootHash(size)));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("appended %d entries of %d bytes in batches of %d (each checkpointed) in %.2f s: "
                    + "%.0f entries/s%n", size, entryBytes, batch, seconds, size / seconds);
        }
        long start = System.nanoTime();
        try (TileStore store = TileStore.open(dir, TestLog::readCheckpoint)) {
            System.out.printf("reopened (verifying everything) in %.2f s%n", (System.nanoTime() - start) / 1e9);
            timeInclusionProofs(store);
        }
        start = System.nanoTime();
        try (TileStore store = TileStore.open(dir, TestLog::readCheckpoint)) {
            System.out.printf("reopened again (bundles already verified) in %.2f s%n",
                    (System.nanoTime() - start) / 1e9);
        }
    }

    private static void timeInclusionProofs(TileStore store) {
        Random random = new Random(2);
        long size = store.size();
        long sink = 0;
        for (int round = 0; round < 2; round++) { // the first round warms up
            long start = System.nanoTime();
            int proofs = 200_000;
            for (int p = 0; p < proofs; p++) {
                sink += MerkleTree.inclusionProof(store, Math.floorMod(random.nextLong(), size), size).size();
            }
            System.out.printf("inclusion proof (MerkleTree over the store) at size %d: %.2f µs each (%d)%n",
                    size, (System.nanoTime() - start) / 1e3 / proofs, sink & 1);
        }
    }
}
