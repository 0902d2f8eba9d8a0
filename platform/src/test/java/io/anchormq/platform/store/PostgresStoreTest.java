package io.anchormq.platform.store;

import io.anchormq.platform.testsupport.PostgresServer;

/**
 * The table operations on PostgreSQL: a new database per test, on the tests' own server. Skipped without
 * PostgreSQL installed, failed then under CI.
 */
class PostgresStoreTest extends StoreTableContract {

    private StoreSettings settings;

    @Override
    StoreSettings freshDatabase() {
        PostgresServer server = PostgresServer.shared();
        settings = new StoreSettings(server.createDatabase("store"), server.user(), "", 4);
        return settings;
    }

    @Override
    StoreSettings settingsOfOpenDatabase() {
        return settings;
    }

    @Override
    String expectedKind() {
        return "postgresql";
    }
}
