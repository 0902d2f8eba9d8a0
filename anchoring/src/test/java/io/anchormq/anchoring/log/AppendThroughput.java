package io.anchormq.anchoring.log;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A rough manual measurement, not a test: durable appends in back-to-back batches, reported every 5 s with the log
 * size, so that a cost that grows with the log shows. {@code repeat} appends the same records every batch, as the
 * JMH benchmark does (each message then recurs once per batch, like a device repeating an unchanged reading);
 * {@code new} gives every entry a message of its own (built outside the timed appends). Run with
 * {@code java -Xmx2g -cp <test class path> io.anchormq.anchoring.log.AppendThroughput <new dir> [batch] [seconds]
 * [repeat|new]}.
 */
public final class AppendThroughput {

    private AppendThroughput() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        boolean repeat = args.length <= 3 || args[3].equals("repeat");
        if (Files.exists(dir.resolve("checkpoint"))) {
            throw new IllegalArgumentException(dir + " holds a log already: give a new directory");
        }
        List<LogRecord> records = records(0, batch);
        try (WorkspaceLog log = WorkspaceLog.open(dir, TestRecords.WORKSPACE, TestRecords.ORIGIN,
                List.of(TestRecords.KEY))) {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long windowStart = System.nanoTime();
            long[] batchNanos = new long[1 << 16];
            int batches = 0;
            long appendNanos = 0;
            while (System.nanoTime() < end) {
                if (!repeat) {
                    records = records(log.size(), batch);
                }
                long start = System.nanoTime();
                log.append(records);
                long took = System.nanoTime() - start;
                appendNanos += took;
                batchNanos[batches++ & 0xFFFF] = took;
                long now = System.nanoTime();
                if (now - windowStart >= 5_000_000_000L || batches == batchNanos.length) {
                    long[] sorted = Arrays.copyOf(batchNanos, Math.min(batches, batchNanos.length));
                    Arrays.sort(sorted);
                    Runtime runtime = Runtime.getRuntime();
                    System.out.printf("size %,11d: %,8.0f entries/s (%,8.0f in append), batch p50 %5.1f ms,"
                                    + " p90 %5.1f, max %6.1f; heap used %,d MB%n", log.size(),
                            (double) batches * batch / ((now - windowStart) / 1e9),
                            (double) batches * batch / (appendNanos / 1e9), sorted[sorted.length / 2] / 1e6,
                            sorted[sorted.length * 9 / 10] / 1e6, sorted[sorted.length - 1] / 1e6,
                            (runtime.totalMemory() - runtime.freeMemory()) >> 20);
                    windowStart = now;
                    batches = 0;
                    appendNanos = 0;
                }
            }
        }
    }

    /** Sensor readings of 1,000 devices, each message its own: about the size of real entries. */
    private static List<LogRecord> records(long from, int count) {
        List<LogRecord> records = new ArrayList<>(count);
        for (long i = from; i < from + count; i++) {
            String device = "sensor-" + i % 1000;
            records.add(new LogRecord(device, "plant/hall-" + i % 7 + "/" + device + "/temperature", 1,
                    Rfc9162.sha256(("{\"t\":" + (20 + i % 100 / 10.0) + ",\"n\":" + i + "}")
                            .getBytes(StandardCharsets.UTF_8)), Instant.now()));
        }
        return records;
    }
}
