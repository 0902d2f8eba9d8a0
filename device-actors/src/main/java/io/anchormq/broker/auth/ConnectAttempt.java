package io.anchormq.broker.auth;

import java.security.cert.X509Certificate;

/**
 * A CONNECT that passed the protocol's checks, with what it offers to prove who it is.
 *
 * @param clientCertificate the TLS peer certificate, verified by the listener's handshake, or null
 * @param remoteAddress the client's address (ip:port)
 */
public record ConnectAttempt(ListenerProfile listener, String clientId, String username, byte[] password,
                             X509Certificate clientCertificate, String remoteAddress, boolean mqtt5) {

    /** The remote address without its port: what repeated failures are counted by. */
    public String remoteHost() {
        int colon = remoteAddress.lastIndexOf(':');
        return colon < 0 ? remoteAddress : remoteAddress.substring(0, colon);
    }
}
