package io.anchormq.platform.store;

/**
 * A write that contradicts what is stored: a duplicate id, a duplicate API key hash, a username that belongs to
 * another device. The admin API answers it with 409.
 */
public final class StoreConflict extends StoreException {

    public StoreConflict(String message) {
        super(message);
    }

    public StoreConflict(String message, Throwable cause) {
        super(message, cause);
    }
}
