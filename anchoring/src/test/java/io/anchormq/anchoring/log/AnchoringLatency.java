package io.anchormq.anchoring.log;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A rough manual measurement, not a test: appends/s through the actor with default batching when flooded, and the
 * time from sending a message to its future completing (durable, under a signed checkpoint) at a steady rate. Run
 * with {@code java -cp <test class path> io.anchormq.anchoring.log.AnchoringLatency <new dir> [rate/s] [seconds]}.
 */
public final class AnchoringLatency {

    private AnchoringLatency() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        if (Files.exists(dir.resolve("checkpoint"))) {
            throw new IllegalArgumentException(dir + " holds a log already: give a new directory");
        }
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "latency");
        try (WorkspaceLog log = WorkspaceLog.open(dir, TestRecords.WORKSPACE, TestRecords.ORIGIN,
                List.of(TestRecords.KEY))) {
            AtomicLong batches = new AtomicLong();
            AppendBacklog backlog = new AppendBacklog(log);
            ActorRef<AnchoringActor.Command> actor = system.systemActorOf(AnchoringActor.create(backlog,
                    AnchoringActor.Batching.DEFAULT, batch -> batches.incrementAndGet()), "anchoring",
                    DispatcherSelector.blocking());
            flood(actor, backlog, 200_000, 0); // also warms up
            flood(actor, backlog, 500_000, 200_000);
            steady(actor, backlog, batches, rate, seconds, 700_000);
        } finally {
            system.terminate();
        }
    }

    /** As fast as the log takes them, with at most 20,000 waiting (the upstream back-pressure). */
    private static void flood(ActorRef<AnchoringActor.Command> actor, AppendBacklog backlog, int count, long first)
            throws Exception {
        long start = System.nanoTime();
        CompletableFuture<Appended> last = null;
        for (int i = 0; i < count; i++) {
            while (backlog.size() > 20_000) {
                LockSupport.parkNanos(100_000);
            }
            last = backlog.send(actor, TestRecords.record(first + i));
        }
        last.get(60, TimeUnit.SECONDS);
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("flooded: %d appends in %.2f s: %.0f appends/s%n", count, secs, count / secs);
    }

    /**
     * {@code rate} messages/s in 1 ms ticks; latency from each message's scheduled send time (so that a stalled
     * sender does not hide delays) to its future's completion.
     */
    private static void steady(ActorRef<AnchoringActor.Command> actor, AppendBacklog backlog, AtomicLong batches,
            int rate, int seconds, long first) throws Exception {
        int perTick = rate / 1000;
        int total = perTick * 1000 * seconds;
        long[] latencies = new long[total];
        long batchesBefore = batches.get();
        long start = System.nanoTime();
        CompletableFuture<?>[] futures = new CompletableFuture<?>[total];
        for (int tick = 0, n = 0; n < total; tick++) {
            long due = start + tick * 1_000_000L;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            for (int k = 0; k < perTick; k++, n++) {
                int i = n;
                futures[i] = backlog.send(actor, TestRecords.record(first + i))
                        .thenRun(() -> latencies[i] = System.nanoTime() - due);
            }
        }
        CompletableFuture.allOf(futures).get(120, TimeUnit.SECONDS);
        double secs = (System.nanoTime() - start) / 1e9;
        Arrays.sort(latencies);
        System.out.printf("steady %d msg/s for %d s (%d batches, %.0f entries each): message -> signed checkpoint"
                        + " p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%.1f s in all)%n", rate, seconds,
                batches.get() - batchesBefore, (double) total / (batches.get() - batchesBefore),
                latencies[total / 2] / 1e6, latencies[(int) (total * 0.99)] / 1e6,
                latencies[(int) (total * 0.999)] / 1e6, latencies[total - 1] / 1e6, secs);
    }
}
