package io.anchormq.anchoring.log;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The child process of {@link WorkspaceLogCrashTest}: opens the log in {@code args[0]} (recovering whatever the
 * previous kill left) and appends {@link TestRecords#record} records numbered from {@code args[1]} through an
 * {@link AnchoringActor}, from three threads, forever. Prints {@code logged <index> <record number> <leaf hash>} for
 * every append it was told is logged and {@code checkpoint <base64 of the note>} after every batch, each line only
 * once what it reports is durable. Killed with SIGKILL at a random moment.
 */
public final class LoggingProcess {

    static final String LOGGED = "logged ";
    static final String CHECKPOINT = "checkpoint ";
    static final String OPENED = "opened ";

    private LoggingProcess() {
    }

    public static void main(String[] args) throws Exception {
        WorkspaceLog log = WorkspaceLog.open(Path.of(args[0]), TestRecords.WORKSPACE, TestRecords.ORIGIN,
                List.of(TestRecords.KEY));
        long first = Long.parseLong(args[1]);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "logging-process");
        AppendBacklog backlog = new AppendBacklog(log);
        ActorRef<AnchoringActor.Command> actor = system.systemActorOf(AnchoringActor.create(backlog,
                new AnchoringActor.Batching(512, Duration.ofMillis(20)),
                batch -> print(CHECKPOINT + Base64.getEncoder().encodeToString(
                        batch.checkpoint().getBytes(StandardCharsets.UTF_8)))),
                "anchoring", DispatcherSelector.blocking());
        print(OPENED + log.size());
        for (int t = 0; t < 3; t++) {
            long base = first + t * 100_000_000L;
            new Thread(() -> {
                for (long n = base; ; n++) {
                    long number = n;
                    backlog.send(actor, TestRecords.record(number)).thenAccept(appended -> print(LOGGED
                            + appended.index() + " " + number + " "
                            + Base64.getEncoder().encodeToString(appended.leafHash().bytes())));
                    if (n % 50 == 0) {
                        pause(); // about 10,000 appends/s per thread: the kill should find a modest log
                    }
                }
            }).start();
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void pause() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
