package io.anchormq.platform.workspace;

import io.anchormq.platform.testsupport.PostgresServer;

/** Access token authentication on PostgreSQL (the tests' own server; skipped without it, failed then under CI). */
class TokenAuthenticationPostgresTest extends TokenAuthenticationContract {

    @Override
    String storeConfig() {
        PostgresServer server = PostgresServer.shared();
        return "anchormq.store { url = \"" + server.createDatabase("tokens") + "\", user = \"" + server.user()
                + "\" }";
    }
}
