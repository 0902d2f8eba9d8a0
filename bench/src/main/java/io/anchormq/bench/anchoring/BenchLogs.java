package io.anchormq.bench.anchoring;

import io.anchormq.anchoring.log.LogRecord;
import io.anchormq.anchoring.log.WorkspaceLog;
import io.anchormq.anchoring.merkle.Rfc9162;
import io.anchormq.anchoring.note.NoteSigner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Logs for the anchoring benchmarks: realistic records, a fixed key, directories that can be reused. */
final class BenchLogs {

    static final String WORKSPACE = "bench";
    static final String ORIGIN = "anchormq.bench/log/" + WORKSPACE;
    static final NoteSigner KEY = NoteSigner.ofEd25519Seed(ORIGIN,
            Rfc9162.sha256("anchormq bench key".getBytes(StandardCharsets.UTF_8)));

    private BenchLogs() {
    }

    /** A sensor reading of one of 1,000 devices, about the size real entries have. */
    static LogRecord record(long i) {
        String device = "sensor-" + (i % 1000);
        return new LogRecord(device, "plant/hall-" + (i % 7) + "/" + device + "/temperature", 1,
                Rfc9162.sha256(("{\"t\":" + (20 + i % 100 / 10.0) + ",\"n\":" + i + "}")
                        .getBytes(StandardCharsets.UTF_8)), Instant.now());
    }

    static List<LogRecord> records(long from, int count) {
        List<LogRecord> out = new ArrayList<>(count);
        for (long i = from; i < from + count; i++) {
            out.add(record(i));
        }
        return out;
    }

    static WorkspaceLog open(Path dir) throws IOException {
        return WorkspaceLog.open(dir, WORKSPACE, ORIGIN, List.of(KEY));
    }

    /**
     * A log of exactly {@code size} entries in {@code dir}: reused when it is there already (building 10 million
     * entries takes a minute or two), built otherwise.
     */
    static WorkspaceLog ofSize(Path dir, long size) throws IOException {
        if (Files.exists(dir)) {
            WorkspaceLog log = open(dir);
            if (log.size() == size) {
                return log;
            }
            log.close();
            delete(dir);
        }
        WorkspaceLog log = open(dir);
        long started = System.nanoTime();
        for (long next = 0; next < size; ) {
            int n = (int) Math.min(65_536, size - next);
            log.append(records(next, n));
            next += n;
            if (next % 1_048_576 == 0) {
                System.out.printf("# building %s: %,d of %,d entries (%.0f s)%n", dir, next, size,
                        (System.nanoTime() - started) / 1e9);
            }
        }
        return log;
    }

    static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
