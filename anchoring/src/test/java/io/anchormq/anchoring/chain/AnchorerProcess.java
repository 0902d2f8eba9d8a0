package io.anchormq.anchoring.chain;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An anchorer in a JVM of its own, for the crash test to kill with SIGKILL: args are the RPC URL, the journal
 * directory, the origin and a tree size whose root it offers.
 */
public final class AnchorerProcess {

    private AnchorerProcess() {
    }

    public static void main(String[] args) throws Exception {
        ChainAnchorerConfig config = ChainAnchorerConfig.of(URI.create(args[0]), GanacheNode.KEY, Path.of(args[1]))
                .withInterval(Duration.ofMillis(200))
                .withPollInterval(Duration.ofMillis(100))
                .withReplaceAfter(null);
        ChainAnchorer anchorer = ChainAnchorer.start(config);
        anchorer.offer(args[2], ChainTestSupport.root(args[3]), Long.parseLong(args[3]));
        Thread.sleep(Long.MAX_VALUE); // until killed
    }
}
