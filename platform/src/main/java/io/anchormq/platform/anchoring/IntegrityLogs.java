package io.anchormq.platform.anchoring;

import io.anchormq.anchoring.chain.ChainAnchorer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * One integrity log per workspace, each with its own tree, directory ({@code <data-dir>/log/<workspace>/}), signing
 * key and origin ({@code <origin-prefix>/<workspace>}), opened when the workspace is; the chain anchorer, if
 * configured, is shared (it keeps anchors per origin).
 */
public final class IntegrityLogs implements AutoCloseable {

    private final ActorSystem<?> system;
    private final AnchoringSettings settings;
    private final ChainAnchorer chain;
    private final Map<String, AnchoringService> logs = new ConcurrentHashMap<>();
    private final AtomicLong opened = new AtomicLong();

    private IntegrityLogs(ActorSystem<?> system, AnchoringSettings settings, ChainAnchorer chain) {
        this.system = system;
        this.settings = settings;
        this.chain = chain;
    }

    /** Starts the chain anchorer if configured; logs are opened by {@link #open}. */
    public static IntegrityLogs start(ActorSystem<?> system, AnchoringSettings settings) throws IOException {
        ChainAnchorer chain = settings.chain().enabled()
                ? ChainAnchorer.start(AnchoringService.chainConfig(settings)) : null;
        return new IntegrityLogs(system, settings, chain);
    }

    /** The workspace's log, opened (and checked) now if it is not open yet. */
    public AnchoringService open(String workspace) {
        return logs.computeIfAbsent(workspace, w -> {
            try {
                return AnchoringService.start(system, settings.forWorkspace(w), chain,
                        "anchoring-" + w + "~" + opened.getAndIncrement());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the integrity log of workspace " + w + " in "
                        + settings.forWorkspace(w).logDirectory().toAbsolutePath() + ": " + e.getMessage(), e);
            }
        });
    }

    /** The workspace's log if it is open. */
    public Optional<AnchoringService> find(String workspace) {
        return Optional.ofNullable(logs.get(workspace));
    }

    /** Closes the workspace's log (its files stay: a tamper-evident record outlives the workspace). */
    public void close(String workspace) {
        AnchoringService log = logs.remove(workspace);
        if (log != null) {
            log.close();
        }
    }

    @Override
    public void close() {
        logs.keySet().forEach(this::close);
        if (chain != null) {
            chain.close();
        }
    }
}
