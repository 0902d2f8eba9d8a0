package io.anchormq.platform.store;

/**
 * A write that names a row that does not exist: a device in an unknown workspace, a credential of an unknown device.
 * The admin API answers it with 404 (or 422), unlike a plain "not found", which reads answer with an empty Optional.
 */
public final class StoreMissingReference extends StoreException {

    public StoreMissingReference(String message) {
        super(message);
    }

    public StoreMissingReference(String message, Throwable cause) {
        super(message, cause);
    }
}
