package io.anchormq.bench.anchoring;

import io.anchormq.anchoring.log.AnchoringActor;
import io.anchormq.anchoring.log.AppendBacklog;
import io.anchormq.anchoring.log.WorkspaceLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Message → signed checkpoint under load: records are sent to the anchoring actor (default batching, as the
 * platform runs it) at a fixed rate, and the time from each record's scheduled send to the completion of its append
 * (entry durable, covered by a signed checkpoint written to disk) goes into an HdrHistogram. Open loop: a sender
 * that falls behind does not hide the delay, because latency counts from when the record was due.
 */
@Command(name = "anchoring-latency", mixinStandardHelpOptions = true,
        description = "message -> signed checkpoint latency of the integrity log at a fixed rate")
public final class CheckpointLatencyCommand implements Callable<Integer> {

    @Option(names = "--rate", description = "records per second (default: ${DEFAULT-VALUE})")
    int rate = 10_000;

    @Option(names = {"-d", "--duration"}, description = "measured seconds (default: ${DEFAULT-VALUE})")
    int durationSeconds = 30;

    @Option(names = "--warmup", description = "seconds at the same rate before measuring (default: ${DEFAULT-VALUE})")
    int warmupSeconds = 5;

    @Option(names = "--batch-entries", description = "batch size limit (default: ${DEFAULT-VALUE})")
    int batchEntries = AnchoringActor.Batching.DEFAULT.maxEntries();

    @Option(names = "--batch-delay-ms", description = "batch age limit (default: ${DEFAULT-VALUE})")
    long batchDelayMillis = AnchoringActor.Batching.DEFAULT.maxAge().toMillis();

    @Option(names = "--dir", description = "a directory for the log (default: a new temporary one, deleted after)")
    Path dir;

    @Override
    public Integer call() throws Exception {
        Path logDir = dir != null ? dir : Files.createTempDirectory("anchormq-latency");
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "anchoring-latency");
        try (WorkspaceLog log = BenchLogs.open(logDir)) {
            AtomicLong batches = new AtomicLong();
            AtomicLong entries = new AtomicLong();
            AppendBacklog backlog = new AppendBacklog(log);
            ActorRef<AnchoringActor.Command> actor = system.systemActorOf(AnchoringActor.create(backlog,
                    new AnchoringActor.Batching(batchEntries, Duration.ofMillis(batchDelayMillis)), batch -> {
                        batches.incrementAndGet();
                        entries.addAndGet(batch.leafHashes().size());
                    }), "anchoring", DispatcherSelector.blocking());
            Recorder recorder = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
            drive(actor, backlog, recorder, Duration.ofSeconds(warmupSeconds), 0);
            recorder.reset();
            long batchesBefore = batches.get();
            long entriesBefore = entries.get();
            long sent = drive(actor, backlog, recorder, Duration.ofSeconds(durationSeconds), (long) rate * warmupSeconds);
            Histogram h = recorder.getIntervalHistogram();
            long b = batches.get() - batchesBefore;
            System.out.printf("anchoring-latency: %,d records/s for %d s (%,d records, %,d batches of %.0f entries on"
                            + " average), message -> signed checkpoint: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms,"
                            + " max %.1f ms%n", rate, durationSeconds, sent, b,
                    b == 0 ? 0.0 : (double) (entries.get() - entriesBefore) / b,
                    h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
                    h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
            return 0;
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
            if (dir == null) {
                BenchLogs.delete(logDir);
            }
        }
    }

    /** {@code rate} records/s in 1 ms ticks for {@code time}; returns how many were sent. */
    private long drive(ActorRef<AnchoringActor.Command> actor, AppendBacklog backlog, Recorder recorder,
                       Duration time, long first) throws Exception {
        long ticks = time.toMillis();
        long start = System.nanoTime();
        long n = 0;
        CompletableFuture<?> last = CompletableFuture.completedFuture(null);
        for (long tick = 0; tick < ticks; tick++) {
            long due = start + tick * 1_000_000L;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            // spread the rate over the ticks without losing the remainder
            long upTo = (tick + 1) * rate / 1000;
            for (; n < upTo; n++) {
                last = backlog.send(actor, BenchLogs.record(first + n))
                        .thenRun(() -> recorder.recordValue(Math.max(0, System.nanoTime() - due)));
            }
        }
        last.get(120, TimeUnit.SECONDS);
        return n;
    }
}
