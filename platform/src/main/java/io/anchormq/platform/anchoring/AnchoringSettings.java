package io.anchormq.platform.anchoring;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;

/** The {@code anchormq.anchoring} section of the configuration (defaults documented in platform's reference.conf). */
public record AnchoringSettings(
        boolean enabled,
        Path dataDir,
        String workspace,
        String originPrefix,
        List<String> signingKeys,
        int batchMaxEntries,
        Duration batchMaxDelay,
        int maxBacklog,
        List<AnchorRoute> routes,
        Chain chain) {

    /** The {@code chain} subsection. */
    public record Chain(boolean enabled, URI rpcUrl, String privateKey, String contract, long chainId,
                        Duration interval, Duration pollInterval, int confirmations) {

        @Override
        public String toString() {
            return "Chain[enabled=" + enabled + ", rpcUrl=" + rpcUrl.getScheme() + "://" + rpcUrl.getAuthority()
                    + ", contract=" + (contract.isEmpty() ? "(deploy)" : contract) + ", interval=" + interval + "]";
        }
    }

    public static AnchoringSettings from(Config root) {
        Config a = root.getConfig("anchormq.anchoring");
        Config c = a.getConfig("chain");
        List<AnchorRoute> routes = new ArrayList<>();
        for (Config r : a.getConfigList("routes")) {
            routes.add(new AnchorRoute(r.getString("filter"), new HashSet<>(r.getIntList("qos")),
                    AnchorRoute.Mode.valueOf(r.getString("mode").toUpperCase(Locale.ROOT)),
                    r.hasPath("receipts") && r.getBoolean("receipts")));
        }
        return new AnchoringSettings(
                a.getBoolean("enabled"),
                Path.of(root.getString("anchormq.data-dir")),
                a.getString("workspace"),
                a.getString("origin-prefix"),
                stringList(a, "signing-keys"),
                a.getInt("batch.max-entries"),
                a.getDuration("batch.max-delay"),
                a.getInt("max-backlog"),
                List.copyOf(routes),
                new Chain(c.getBoolean("enabled"), URI.create(c.getString("rpc-url")), c.getString("private-key"),
                        c.getString("contract"), c.getLong("chain-id"), c.getDuration("interval"),
                        c.getDuration("poll-interval"), c.getInt("confirmations")));
    }

    /** The same settings for another workspace's log. */
    public AnchoringSettings forWorkspace(String id) {
        return new AnchoringSettings(enabled, dataDir, id, originPrefix, signingKeys, batchMaxEntries, batchMaxDelay,
                maxBacklog, routes, chain);
    }

    /** The log's origin line and key name. */
    public String origin() {
        return originPrefix + "/" + workspace;
    }

    /** Where the workspace's log lives: tiles, checkpoint, index. */
    public Path logDirectory() {
        return dataDir.resolve("log").resolve(workspace);
    }

    /** A list setting that environment variables may also give as one comma-separated string. */
    private static List<String> stringList(Config config, String path) {
        if (config.getValue(path).valueType() == ConfigValueType.STRING) {
            return Arrays.stream(config.getString(path).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .toList();
        }
        return List.copyOf(config.getStringList(path));
    }

    @Override
    public String toString() {
        return "AnchoringSettings[enabled=" + enabled + ", origin=" + origin() + ", signingKeys=" + signingKeys.size()
                + ", batch=" + batchMaxEntries + "/" + batchMaxDelay + ", routes=" + routes + ", chain=" + chain + "]";
    }
}
