package io.anchormq.anchoring.verify;

/** The command cannot run with what it was given: a missing file, a malformed key (exit code 2). */
final class UnusableInput extends Exception {

    UnusableInput(String message) {
        super(message, null, false, false);
    }
}
