package io.anchormq.bench.anchoring;

import io.anchormq.anchoring.log.LogRecord;
import io.anchormq.anchoring.log.WorkspaceLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable appends to a workspace log, in entries per second: every batch is encoded, hashed into the tree, written
 * as tlog-tiles files that are fsynced and renamed into place, and sealed by a signed checkpoint, exactly as the
 * anchoring actor does it. Batches of 4,096 entries (the actor's default maximum) and of 1,024.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 10)
public class LogAppendBenchmark {

    private Path dir;
    private WorkspaceLog log;
    private List<LogRecord> batch4096;
    private List<LogRecord> batch1024;

    @Setup(Level.Trial)
    public void openLog() throws IOException {
        dir = Files.createTempDirectory("anchormq-append-bench");
        log = BenchLogs.open(dir);
        // The same records each time: every entry still differs (sequence number, fresh salt), but each (client,
        // topic, payload) lookup key recurs once per batch, like a device repeating an unchanged reading; the
        // lookup table must not slow down for it (it did, before it chained a key's leaves: 155k -> 49k/s).
        batch4096 = BenchLogs.records(0, 4096);
        batch1024 = BenchLogs.records(0, 1024);
    }

    @TearDown(Level.Trial)
    public void deleteLog() {
        log.close();
        BenchLogs.delete(dir);
    }

    @Benchmark
    @OperationsPerInvocation(4096)
    public long durableBatchesOf4096() throws IOException {
        return log.append(batch4096).size();
    }

    @Benchmark
    @OperationsPerInvocation(1024)
    public long durableBatchesOf1024() throws IOException {
        return log.append(batch1024).size();
    }
}
