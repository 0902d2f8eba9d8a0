package io.anchormq.anchoring.tiles;

import java.nio.file.Path;
import java.util.Random;

/**
 * The child process of {@link TileStoreCrashTest}: opens the log (recovering whatever the previous kill left),
 * then appends batches of {@link TestLog#entry} entries forever, checkpointing most of them, and prints
 * {@code checkpointed <size>} after each checkpoint is written. Killed with SIGKILL at a random moment. Arguments:
 * the log directory, the size to stop at, the journal segment size.
 */
public final class CrashingAppender {

    static final String CHECKPOINTED = "checkpointed ";

    private CrashingAppender() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long limit = Long.parseLong(args[1]);
        long segmentBytes = Long.parseLong(args[2]);
        Random random = new Random();
        try (TileStore store = TileStore.open(dir, TestLog::readCheckpoint, segmentBytes,
                TileStore.PUBLISH_INTERVAL_MILLIS)) {
            System.out.println("opened " + store.size());
            System.out.flush();
            long size = store.size();
            while (size < limit) {
                long to = Math.min(limit, size + 1 + random.nextInt(random.nextInt(10) == 0 ? 10 : 3000));
                size = store.append(TestLog.entries(size, to));
                if (random.nextInt(4) != 0) { // some batches stay uncheckpointed: a torn tail even between batches
                    store.writeCheckpoint(TestLog.checkpoint(size, store.rootHash(size)));
                    System.out.println(CHECKPOINTED + size);
                    System.out.flush();
                }
            }
            System.out.println("done");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
