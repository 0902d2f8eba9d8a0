package io.anchormq.anchoring.tiles;

import java.io.IOException;

/**
 * The stored log is not what its checkpoint commits to (a tile or bundle is missing, malformed or hashes wrongly, or
 * the recomputed root differs). The message names the file and what is wrong; the storage refuses to open rather than
 * serve or extend such a log.
 */
public final class CorruptLogException extends IOException {

    public CorruptLogException(String message) {
        super(message);
    }

    public CorruptLogException(String message, Throwable cause) {
        super(message, cause);
    }
}
