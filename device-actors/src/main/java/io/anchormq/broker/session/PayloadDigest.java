package io.anchormq.broker.session;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 of payloads, computed by the publishing session so that the integrity log never sees payloads. */
final class PayloadDigest {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    });

    private PayloadDigest() {
    }

    static byte[] sha256(byte[] payload) {
        return SHA256.get().digest(payload);
    }
}
