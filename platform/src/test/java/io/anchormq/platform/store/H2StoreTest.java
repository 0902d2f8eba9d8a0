package io.anchormq.platform.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The table operations on the embedded H2 database, a new one in a temporary directory per test. */
class H2StoreTest extends StoreTableContract {

    @TempDir
    Path dataDir;

    private StoreSettings settings;

    @Override
    StoreSettings freshDatabase() {
        settings = new StoreSettings(StoreSettings.embeddedH2Url(dataDir), "", "", 4);
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
