package io.anchormq.platform.store;

/** A failure of the configuration and identity store: the database refused or could not be reached. */
public class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
