package io.anchormq.platform.workspace;

import io.anchormq.platform.testsupport.PostgresServer;

/** Password authentication on PostgreSQL (the tests' own server; skipped without it, failed then under CI). */
class PasswordAuthenticationPostgresTest extends PasswordAuthenticationContract {

    @Override
    String storeConfig() {
        PostgresServer server = PostgresServer.shared();
        return "anchormq.store { url = \"" + server.createDatabase("auth") + "\", user = \"" + server.user()
                + "\" }";
    }
}
