package io.anchormq.broker.auth;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides at CONNECT who a client is and which workspace it belongs to. Called on the connection's event loop: an
 * implementation that must do slow work (a password hash, a database) does it elsewhere and completes the stage
 * later; the connection is not read meanwhile. A stage that is already complete costs no thread hop.
 */
public interface Authenticator {

    CompletionStage<Authentication> authenticate(ConnectAttempt attempt);

    /** Admits every client, anonymous, into the default workspace: the broker without an identity store. */
    Authenticator ANONYMOUS = new Authenticator() {
        private final CompletionStage<Authentication> admitted = CompletableFuture.completedStage(
                Authentication.admit(ClientIdentity.anonymous(ClientIdentity.DEFAULT_WORKSPACE, null)));

        @Override
        public CompletionStage<Authentication> authenticate(ConnectAttempt attempt) {
            return attempt.username() == null ? admitted : CompletableFuture.completedStage(
                    Authentication.admit(ClientIdentity.anonymous(ClientIdentity.DEFAULT_WORKSPACE,
                            attempt.username())));
        }
    };
}
