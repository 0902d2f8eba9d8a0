package io.anchormq.platform.store;

import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;

/** The table operations on the embedded H2 database, each new one in a temporary directory. */
class H2StoreTest extends StoreTableContract {

    @TempDir
    Path dataDir;

    private StoreSettings settings;

    @Override
    StoreSettings freshDatabase() {
        settings = new StoreSettings(StoreSettings.embeddedH2Url(dataDir.resolve(UUID.randomUUID().toString())), "",
                "", 4);
        return settings;
    }

    @Override
    StoreSettings settingsOfOpenDatabase() {
        return settings;
    }

    @Override
    String expectedKind() {
        return "h2";
    }
}
