package io.anchormq.platform.pki;

import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts client certificates that chain to the CA (the JDK's PKIX validation: signatures, validity, constraints),
 * are within their validity and whose serial has not been revoked. The revoked set is consulted at every
 * handshake, so a revocation takes effect for the next connection without a restart.
 */
final class RevocationCheckingTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager pkix;
    private final X509Certificate ca;
    private final RevokedSerials revoked;

    RevocationCheckingTrustManager(X509Certificate ca, RevokedSerials revoked) {
        this.ca = ca;
        this.revoked = revoked;
        try {
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            anchors.setCertificateEntry("ca", ca);
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(anchors);
            this.pkix = Arrays.stream(factory.getTrustManagers())
                    .filter(X509ExtendedTrustManager.class::isInstance).map(X509ExtendedTrustManager.class::cast)
                    .findFirst().orElseThrow(() -> new IllegalStateException("no PKIX trust manager"));
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a trust manager for " + ca.getSubjectX500Principal(), e);
        }
    }

    private void checkOwn(X509Certificate[] chain) throws CertificateException {
        X509Certificate leaf = chain[0];
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new CertificateException("client certificate " + leaf.getSerialNumber().toString(16)
                    + " is not valid now: " + e.getMessage(), e);
        }
        if (revoked.contains(leaf.getSerialNumber())) {
            throw new CertificateException("client certificate " + leaf.getSerialNumber().toString(16)
                    + " (" + leaf.getSubjectX500Principal() + ") is revoked");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        pkix.checkClientTrusted(chain, authType, engine);
        checkOwn(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        pkix.checkClientTrusted(chain, authType, socket);
        checkOwn(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
        checkOwn(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("the listeners' trust manager only judges clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("the listeners' trust manager only judges clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the listeners' trust manager only judges clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        // named in the CertificateRequest, so clients with several certificates pick ours
        return new X509Certificate[] {ca};
    }
}
