package io.anchormq.platform.anchoring;

import io.anchormq.anchoring.chain.AnchorReceipt;
import io.anchormq.anchoring.chain.ChainAnchorer;
import io.anchormq.anchoring.chain.ChainAnchorerConfig;
import io.anchormq.anchoring.log.AnchoringActor;
import io.anchormq.anchoring.log.AppendBacklog;
import io.anchormq.anchoring.log.AppendListener;
import io.anchormq.anchoring.log.Appended;
import io.anchormq.anchoring.log.LogRecord;
import io.anchormq.anchoring.log.WorkspaceLog;
import io.anchormq.anchoring.note.Checkpoint;
import io.anchormq.anchoring.proof.TlogProof;
import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.integrity.LogReceipt;
import io.anchormq.broker.integrity.LoggedMessage;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's integrity log: decides by the configured routes which publishes are logged, feeds them to the
 * workspace's anchoring actor, hands the chain anchorer the checkpoints that cover chain-routed entries, and answers
 * proof requests for the HTTP API.
 */
public final class AnchoringService implements IntegrityLog, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AnchoringService.class);
    /** Configured in reference.conf: one thread, many appends per turn. */
    static final String DISPATCHER = "anchormq.anchoring.dispatcher";

    private final AnchoringSettings settings;
    private final WorkspaceLog workspaceLog;
    private final ActorRef<AnchoringActor.Command> actor;
    private final ChainAnchorer chain;
    private final AppendBacklog backlog;
    /** Whether closing the log closes the chain anchorer (else it is shared by workspaces, closed by its maker). */
    private boolean ownsChain;
    /** The last checkpoint handed to the chain anchorer (many entries share one checkpoint). */
    private volatile String offeredCheckpoint;

    private AnchoringService(AnchoringSettings settings, WorkspaceLog workspaceLog, AppendBacklog backlog,
                             ActorRef<AnchoringActor.Command> actor, ChainAnchorer chain) {
        this.settings = settings;
        this.workspaceLog = workspaceLog;
        this.backlog = backlog;
        this.actor = actor;
        this.chain = chain;
    }

    /** Opens (and checks) the workspace's log, starts its actor and, if configured, the chain anchorer. */
    public static AnchoringService start(ActorSystem<?> system, AnchoringSettings settings) throws IOException {
        ChainAnchorer chain = settings.chain().enabled() ? ChainAnchorer.start(chainConfig(settings)) : null;
        try {
            AnchoringService service = start(system, settings, chain, "anchoring-" + settings.workspace());
            service.ownsChain = true;
            return service;
        } catch (IOException | RuntimeException e) {
            if (chain != null) {
                chain.close();
            }
            throw e;
        }
    }

    /**
     * Opens the workspace's log and starts its actor (named {@code actorName}); {@code chain} (or null) anchors
     * its checkpoints and is closed by whoever made it.
     */
    static AnchoringService start(ActorSystem<?> system, AnchoringSettings settings, ChainAnchorer chain,
                                  String actorName) throws IOException {
        WorkspaceLog workspaceLog = WorkspaceLog.open(settings.logDirectory(), settings.workspace(),
                settings.origin(), SigningKeys.load(settings));
        try {
            // the actor writes and fsyncs files: it runs on a thread of its own, never on the sessions' dispatcher
            AppendBacklog backlog = new AppendBacklog(workspaceLog, settings.maxBacklog());
            ActorRef<AnchoringActor.Command> actor = system.systemActorOf(AnchoringActor.create(backlog,
                            new AnchoringActor.Batching(settings.batchMaxEntries(), settings.batchMaxDelay()),
                            batch -> { }),
                    actorName, DispatcherSelector.fromConfig(DISPATCHER));
            AnchoringService service = new AnchoringService(settings, workspaceLog, backlog, actor, chain);
            log.info("integrity log {} at {} ({} entries), chain anchoring {}", settings.origin(),
                    settings.logDirectory().toAbsolutePath(), workspaceLog.size(),
                    chain == null ? "off" : "on, contract " + chain.contract().orElse("(deploying)"));
            return service;
        } catch (RuntimeException e) {
            workspaceLog.close();
            throw e;
        }
    }

    static ChainAnchorerConfig chainConfig(AnchoringSettings s) {
        AnchoringSettings.Chain c = s.chain();
        if (c.privateKey().isBlank()) {
            throw new IllegalArgumentException("anchormq.anchoring.chain.enabled is set but no private-key is given"
                    + " (ANCHORMQ_CHAIN_PRIVATE_KEY)");
        }
        ChainAnchorerConfig config = ChainAnchorerConfig.of(c.rpcUrl(), c.privateKey(),
                        s.dataDir().resolve("log").resolve("chain"))
                .withInterval(c.interval())
                .withPollInterval(c.pollInterval())
                .withConfirmations(c.confirmations());
        if (c.chainId() > 0) {
            config = config.withChainId(c.chainId());
        }
        if (!c.contract().isBlank()) {
            config = config.withContract(c.contract());
        }
        return config;
    }

    // ---- IntegrityLog (called by session actors) ---------------------------------------------------------------

    @Override
    public Coverage coverage(String topic, int qos) {
        AnchorRoute route = routeOf(topic, qos);
        return route == null ? Coverage.NONE : route.coverage();
    }

    @Override
    public void append(LoggedMessage m, boolean confirm, Outcome outcome) {
        AnchorRoute route = routeOf(m.topic(), m.qos());
        boolean toChain = chain != null && route != null && route.mode() == AnchorRoute.Mode.CHAIN;
        backlog.send(actor, new LogRecord(m.clientId(), m.topic(), m.qos(), m.payloadSha256(), m.receivedAt()),
                new Told(confirm, toChain, outcome));
    }

    @Override
    public boolean isBehind() {
        return backlog.isFull();
    }

    @Override
    public void whenCaughtUp(Runnable wake) {
        backlog.whenRoomAgain(wake);
    }

    /** Tells the session what it asked to hear, and hands a chain-routed entry's checkpoint to the anchorer. */
    private final class Told implements AppendListener {
        private final boolean confirm;
        private final boolean toChain;
        private final Outcome outcome;

        Told(boolean confirm, boolean toChain, Outcome outcome) {
            this.confirm = confirm;
            this.toChain = toChain;
            this.outcome = outcome;
        }

        @Override
        public void appended(Appended a) {
            if (toChain) {
                offerToChain(a.checkpoint());
            }
            if (confirm) {
                outcome.logged(new LogReceipt(a.workspace(), a.index(), a.leafHash().bytes(), a.checkpoint()));
            }
        }

        @Override
        public void failed(Throwable failure) {
            outcome.failed(failure);
        }

        @Override
        public boolean wantsAppended() {
            return confirm || toChain;
        }
    }

    private AnchorRoute routeOf(String topic, int qos) {
        if (topic.startsWith("$")) {
            return null; // the broker's own topics are not device data
        }
        for (AnchorRoute r : settings.routes()) {
            if (r.covers(topic, qos)) {
                return r.mode() == AnchorRoute.Mode.NONE ? null : r;
            }
        }
        return null;
    }

    /** A checkpoint that covers a chain-routed entry goes to the anchorer (which keeps only the newest). */
    private void offerToChain(String signedCheckpoint) {
        if (signedCheckpoint.equals(offeredCheckpoint)) {
            return;
        }
        offeredCheckpoint = signedCheckpoint;
        Checkpoint cp = Checkpoint.parse(checkpointBody(signedCheckpoint));
        chain.offer(settings.origin(), cp.root(), cp.size());
    }

    private static String checkpointBody(String signedNote) {
        int end = signedNote.lastIndexOf("\n\n");
        return signedNote.substring(0, end + 1);
    }

    // ---- read side (HTTP API) ----------------------------------------------------------------------------------

    public WorkspaceLog log() {
        return workspaceLog;
    }

    public AnchoringSettings settings() {
        return settings;
    }

    /**
     * The proof file of an entry: against the chain-anchored checkpoint that covers it, with its anchor line, when
     * there is one; else against the latest checkpoint.
     */
    public TlogProof proof(long index) throws IOException {
        Optional<AnchorReceipt> anchor = chain == null ? Optional.empty()
                : chain.anchorCovering(settings.origin(), index + 1);
        if (anchor.isPresent() && anchor.get().treeSize() <= workspaceLog.size()) {
            return workspaceLog.proof(index, anchor.get().treeSize()).withAnchor(anchor.get().toProofAnchor());
        }
        return workspaceLog.proof(index);
    }

    /** Anchors made for this log so far (empty when chain anchoring is off). */
    public List<AnchorReceipt> anchors() {
        return chain == null ? List.of() : chain.anchors(settings.origin());
    }

    /** Appends sent to the log and not completed yet. */
    public int backlog() {
        return backlog.size();
    }

    /** Logs what is pending (the broker has stopped taking messages by now), then closes the log and the anchorer. */
    @Override
    public void close() {
        actor.tell(new AnchoringActor.Stop());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (backlog.size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (backlog.size() > 0) {
            log.warn("integrity log closed with {} appends not completed", backlog.size());
        }
        if (chain != null && ownsChain) {
            chain.close();
        }
        workspaceLog.close();
    }
}
