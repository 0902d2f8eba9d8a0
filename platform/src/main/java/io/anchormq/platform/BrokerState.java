package io.anchormq.platform;

import com.typesafe.config.Config;
import io.anchormq.broker.store.BrokerStore;
import java.nio.file.Path;
import java.util.Locale;

/** The {@code anchormq.state} settings: where the broker keeps its sessions and retained messages, if anywhere. */
final class BrokerState {

    private BrokerState() {
    }

    /** The durable store the configuration asks for, opened; null for in-memory state. */
    static BrokerStore open(Config config, Path dataDir) {
        Config c = config.getConfig("anchormq.state");
        if (!c.getBoolean("durable")) {
            return null;
        }
        String dir = c.getString("dir");
        BrokerStore.Fsync fsync;
        try {
            fsync = BrokerStore.Fsync.valueOf(c.getString("fsync").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("anchormq.state.fsync must be interval, always or never, not "
                    + c.getString("fsync"));
        }
        return BrokerStore.open(dir.isEmpty() ? dataDir.resolve("broker-state") : Path.of(dir), fsync,
                c.getDuration("fsync-interval"));
    }
}
