package io.anchormq.platform.pki;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serial numbers of revoked client certificates, with when each was revoked: read by every TLS handshake (from the
 * listeners' threads), updated live by whoever revokes.
 */
final class RevokedSerials {

    private final Map<BigInteger, Instant> revoked = new ConcurrentHashMap<>();

    void add(BigInteger serial, Instant when) {
        // the first revocation is the one that counts for a CRL
        revoked.putIfAbsent(serial, when);
    }

    boolean contains(BigInteger serial) {
        return revoked.containsKey(serial);
    }

    Map<BigInteger, Instant> snapshot() {
        return Map.copyOf(revoked);
    }
}
