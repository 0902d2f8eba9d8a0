package io.anchormq.anchoring.log;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The single writer of one {@link WorkspaceLog}: gathers {@link Append}s into batches, closed when they reach
 * {@link Batching#maxEntries()} or when the first of them is {@link Batching#maxAge()} old, and appends each batch
 * (one signed checkpoint per batch: signing per message would cap the log at about a thousand messages/s). Each
 * append's listener hears, in append order, once its entry and a checkpoint covering it are durable.
 *
 * <p>It blocks on file I/O (fsyncs), so spawn it on a dispatcher for blocking work, e.g.
 * {@code spawn(AnchoringActor.create(...), name, DispatcherSelector.blocking())}, never on the default one; one
 * whose throughput (messages per turn) is high saves a hand-over to a pool thread per append. Listeners hear on that
 * thread too: they should only hand the result on (tell an actor).
 *
 * <p>When a batch fails with an I/O error its appends fail with it, never completing as logged, and the actor goes
 * on: {@link WorkspaceLog#append} reopens the store, whose recovery removes what was written of the batch, so the
 * next batch continues at the same index (if reopening fails, each later batch tries again and fails fast). A record
 * that cannot be an entry (invalid Unicode, over 65535 bytes encoded) fails its own append only, when it is sent.
 * {@link Stop} appends what is pending and stops; if the actor is stopped otherwise, what it holds is appended on the way out.
 * The actor does not close the log: whoever opened it does, after the actor stopped.
 */
public final class AnchoringActor extends AbstractBehavior<AnchoringActor.Command> {

    public sealed interface Command {
    }

    /**
     * Appends are waiting in the actor's inbox: the first of a batch (the batch's age starts), or enough to fill
     * one. Appends reach the actor through its {@link AppendBacklog}, not one message each: at tens of thousands per
     * second a message per append woke the actor's thread for every one of them.
     */
    record Arrived() implements Command {
    }

    /** One record to log and who hears how it ended. */
    record Append(LogRecord record, AppendListener listener, AppendBacklog countedBy) {

        /** The record is entry {@code i} of {@code batch}. */
        void appended(AppendedBatch batch, int i, String workspace) {
            countedBy.completed();
            if (listener.wantsAppended()) {
                listener.appended(new Appended(workspace, batch.firstIndex() + i, batch.leafHash(i),
                        batch.checkpoint()));
            }
        }

        void failed(Throwable failure) {
            countedBy.completed();
            listener.failed(failure);
        }
    }

    /**
     * Append what is pending, then stop. Appends sent after it reach no actor (dead letters) and their listeners
     * never hear of them: stop the senders first.
     */
    public record Stop() implements Command {
    }

    private enum BatchAge implements Command {
        ELAPSED
    }

    /**
     * When a batch closes: at {@code maxEntries} appends, or {@code maxAge} after its first append arrived.
     *
     * <p>{@link #DEFAULT}, 4096 entries or 100 ms: at 10,000 messages/s a batch closes by age with ~1,200
     * entries, and appending it (entry bundles and full tiles written, the batch and its checkpoint forced to the
     * store's journal in one fdatasync) takes a few ms here, so a message waits for its checkpoint at most ~100 ms
     * plus one batch write, well inside the 1 s target. The size limit only matters in bursts or
     * after a stall, where it keeps a batch's write (and its memory) bounded while the backlog drains; flooded, the
     * log takes ~130,000 appends/s in full batches.
     */
    public record Batching(int maxEntries, Duration maxAge) {

        public static final Batching DEFAULT = new Batching(4096, Duration.ofMillis(100));

        public Batching {
            if (maxEntries < 1) {
                throw new IllegalArgumentException("a batch holds at least one entry, not " + maxEntries);
            }
            if (maxAge.isNegative() || maxAge.isZero()) {
                throw new IllegalArgumentException("batch age " + maxAge + " must be positive");
            }
        }
    }

    private final TimerScheduler<Command> timers;
    private final WorkspaceLog log;
    private final Batching batching;
    private final Consumer<AppendedBatch> onBatch;
    private final AppendBacklog inbox;
    private final List<Append> pending = new ArrayList<>();

    /**
     * @param inbox where senders put the appends; the actor writes the inbox's log
     * @param onBatch called on the actor's thread after each batch is appended and its listeners told (to offer
     *                the new checkpoint to a chain anchorer, count, ...): keep it short and non-blocking
     */
    public static Behavior<Command> create(AppendBacklog inbox, Batching batching, Consumer<AppendedBatch> onBatch) {
        Objects.requireNonNull(inbox, "inbox");
        Objects.requireNonNull(batching, "batching");
        Objects.requireNonNull(onBatch, "onBatch");
        // a bug in handling one message must not lose the pending batch and its listeners
        return Behaviors.supervise(Behaviors.<Command>setup(ctx -> Behaviors.<Command>withTimers(
                        timers -> new AnchoringActor(ctx, timers, inbox, batching, onBatch))))
                .onFailure(SupervisorStrategy.resume());
    }

    private AnchoringActor(ActorContext<Command> context, TimerScheduler<Command> timers, AppendBacklog inbox,
            Batching batching, Consumer<AppendedBatch> onBatch) {
        super(context);
        this.timers = timers;
        this.inbox = inbox;
        this.log = inbox.log();
        this.batching = batching;
        this.onBatch = onBatch;
        inbox.signalAt(batching.maxEntries());
        appendFullBatches(); // appends sent before the actor started
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Arrived.class, this::onArrived)
                .onMessageEquals(BatchAge.ELAPSED, this::onBatchAge)
                .onMessage(Stop.class, s -> onStop())
                .onSignal(PostStop.class, s -> onPostStop())
                .build();
    }

    private Behavior<Command> onArrived(Arrived a) {
        appendFullBatches();
        return Behaviors.same();
    }

    private Behavior<Command> onBatchAge() {
        appendAll();
        appendFullBatches(); // starts the next batch's age if appends came meanwhile
        return Behaviors.same();
    }

    private Behavior<Command> onStop() {
        appendAll();
        return Behaviors.stopped();
    }

    private Behavior<Command> onPostStop() {
        appendAll();
        return Behaviors.same();
    }

    /** Appends full batches while the inbox holds one; what is left waits for the batch's age. */
    private void appendFullBatches() {
        while (waiting() >= batching.maxEntries()) {
            take(batching.maxEntries());
            if (pending.size() < batching.maxEntries()) {
                break; // counted but not queued yet: the batch's timer takes them
            }
            appendPending();
        }
        if (waiting() > 0 && !timers.isTimerActive(BatchAge.ELAPSED)) {
            timers.startSingleTimer(BatchAge.ELAPSED, batching.maxAge());
        }
    }

    /** Appends everything in the inbox, in batches of at most the maximum. */
    private void appendAll() {
        timers.cancel(BatchAge.ELAPSED);
        while (waiting() > 0) {
            take(batching.maxEntries());
            if (pending.isEmpty()) {
                return; // counted but not queued yet
            }
            appendPending();
        }
    }

    private int waiting() {
        return pending.size() + inbox.queued();
    }

    /** Moves appends from the inbox into the batch, up to {@code max} in it. */
    private void take(int max) {
        for (Append append; pending.size() < max && (append = inbox.poll()) != null; ) {
            pending.add(append);
        }
    }

    private void appendPending() {
        if (pending.isEmpty()) {
            return;
        }
        timers.cancel(BatchAge.ELAPSED);
        List<Append> batch = List.copyOf(pending);
        pending.clear();
        List<LogRecord> records = new ArrayList<>(batch.size());
        for (Append append : batch) {
            records.add(append.record());
        }
        AppendedBatch appended;
        try {
            appended = log.append(records);
        } catch (IOException | RuntimeException e) {
            getContext().getLog().error("{}: a batch of {} entries was not logged", log.origin(), batch.size(), e);
            for (Append append : batch) {
                append.failed(e);
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).appended(appended, i, log.workspace());
        }
        try {
            onBatch.accept(appended);
        } catch (RuntimeException e) {
            getContext().getLog().error("{}: the batch listener failed on {}", log.origin(), appended, e);
        }
    }
}
