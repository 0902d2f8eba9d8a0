package io.anchormq.platform.workspace;

import io.anchormq.platform.testsupport.PostgresServer;

/** The cross-workspace suite on PostgreSQL (the tests' own server; skipped without it, failed then under CI). */
class WorkspaceIsolationPostgresTest extends WorkspaceIsolationContract {

    @Override
    String storeConfig() {
        PostgresServer server = PostgresServer.shared();
        return "anchormq.store { url = \"" + server.createDatabase("isolation") + "\", user = \"" + server.user()
                + "\" }";
    }
}
