package io.anchormq.anchoring.verify;

/** Something did not verify (exit code 1); the message is the one line the user sees. */
final class VerificationFailure extends Exception {

    VerificationFailure(String message) {
        super(message, null, false, false);
    }
}
