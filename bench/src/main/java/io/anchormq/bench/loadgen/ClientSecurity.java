package io.anchormq.bench.loadgen;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import io.netty.handler.ssl.util.SimpleTrustManagerFactory;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * How the load generator's connections secure themselves: TLS or not (trusting one CA file, optionally presenting a
 * client certificate), and which user name and password each CONNECT carries, if any.
 *
 * <p>User names, passwords, certificate and key files may contain {@code %d}: connection number {@code k} of the run
 * (subscribers first, then publishers, then idle connections) uses identity {@code k mod identities}, with {@code %d}
 * replaced by that number, so that a fleet of provisioned devices each connect with their own credential. Without
 * {@code %d} every connection shares the one given.
 *
 * <p>TLS sessions are not resumed unless asked for: each connection makes a full handshake (a device that reconnects
 * after a broker restart has no ticket the broker still accepts), so a connection-rate run measures the handshake's
 * cost. The server certificate is checked against the CA (once per distinct certificate, see {@link RememberingTrust});
 * its host name is not (every run is on loopback).
 */
public final class ClientSecurity {

    /** Plain TCP, no credentials. */
    public static final ClientSecurity NONE = new ClientSecurity(null, null, null, 1, List.of(), false, "");

    private final String usernamePattern;
    private final String passwordPattern;
    private final String certificatePattern;
    private final int identities;
    /** One per certificate identity (one in all without a client certificate or without %d); empty: plain TCP. */
    private final List<SslContext> contexts;
    private final boolean resume;
    private final String provider;

    private ClientSecurity(String usernamePattern, String passwordPattern, String certificatePattern, int identities,
                           List<SslContext> contexts, boolean resume, String provider) {
        this.usernamePattern = usernamePattern;
        this.passwordPattern = passwordPattern;
        this.certificatePattern = certificatePattern;
        this.identities = identities;
        this.contexts = contexts;
        this.resume = resume;
        this.provider = provider;
    }

    /**
     * @param tls whether to connect over TLS
     * @param caFile PEM CA certificate(s) the server's certificate must chain to; null = the JDK's default trust
     * @param certPattern client certificate chain (PEM), may contain %d; null = none
     * @param keyPattern its private key (PEM, PKCS#8 unencrypted), may contain %d
     * @param providerName auto (OpenSSL where netty-tcnative is on the class path, else the JDK), jdk or openssl
     */
    public static ClientSecurity of(boolean tls, File caFile, String certPattern, String keyPattern, String providerName,
                                    boolean resume, String usernamePattern, String passwordPattern, int identities) {
        return of(tls, caFile, certPattern, keyPattern, providerName, resume, null, usernamePattern, passwordPattern,
                identities);
    }

    /**
     * @param ciphers cipher suites offered (e.g. TLS_AES_128_GCM_SHA256, so that brokers whose TLS prefers different
     *     suites negotiate the same one); null = the provider's defaults
     */
    public static ClientSecurity of(boolean tls, File caFile, String certPattern, String keyPattern, String providerName,
                                    boolean resume, List<String> ciphers, String usernamePattern,
                                    String passwordPattern, int identities) {
        if (identities < 1) {
            throw new IllegalArgumentException("--identities must be at least 1");
        }
        if ((certPattern == null) != (keyPattern == null)) {
            throw new IllegalArgumentException("--cert and --key go together");
        }
        if (!tls && (certPattern != null || caFile != null)) {
            throw new IllegalArgumentException("--cert, --key and --cafile need --tls");
        }
        if (passwordPattern != null && usernamePattern == null) {
            throw new IllegalArgumentException("--password needs --username (MQTT 3.1.1 has no password without a user name)");
        }
        List<SslContext> contexts = new ArrayList<>();
        String provider = "";
        if (tls) {
            SslProvider p = switch (providerName.toLowerCase(Locale.ROOT)) {
                case "auto" -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
                case "jdk" -> SslProvider.JDK;
                case "openssl" -> {
                    if (!OpenSsl.isAvailable()) {
                        throw new IllegalArgumentException("--tls-provider openssl: netty-tcnative is not available ("
                                + OpenSsl.unavailabilityCause() + ")");
                    }
                    yield SslProvider.OPENSSL;
                }
                default -> throw new IllegalArgumentException("--tls-provider is auto, jdk or openssl");
            };
            provider = p == SslProvider.JDK ? "JDK" : "OpenSSL";
            int contextsNeeded = certPattern != null && (certPattern.contains("%d") || keyPattern.contains("%d"))
                    ? identities : 1;
            TrustManagerFactory trust = caFile == null ? null : RememberingTrust.of(caFile);
            for (int i = 0; i < contextsNeeded; i++) {
                SslContextBuilder b = SslContextBuilder.forClient().sslProvider(p);
                if (ciphers != null) {
                    b.ciphers(ciphers);
                }
                if (caFile != null) {
                    b.trustManager(trust);
                }
                if (certPattern != null) {
                    b.keyManager(new File(fill(certPattern, i)), new File(fill(keyPattern, i)));
                }
                try {
                    contexts.add(b.build());
                } catch (SSLException | IllegalArgumentException e) {
                    throw new IllegalArgumentException("TLS settings" + (certPattern != null
                            ? " (certificate " + fill(certPattern, i) + ", key " + fill(keyPattern, i) + ")" : "")
                            + ": " + e.getMessage(), e);
                }
            }
        }
        return new ClientSecurity(usernamePattern, passwordPattern, certPattern, identities, List.copyOf(contexts),
                resume, provider);
    }

    boolean tls() {
        return !contexts.isEmpty();
    }

    /** A new TLS handler for connection number {@code k}; only when {@link #tls()}. */
    SslHandler handler(ByteBufAllocator alloc, int k, String host, int port) {
        SslContext context = contexts.get(contexts.size() == 1 ? 0 : k % identities);
        // with a peer host and port the JDK keeps the session for resumption; without, every handshake is a full one
        return resume ? context.newHandler(alloc, host, port) : context.newHandler(alloc);
    }

    /** The user name connection {@code k} sends, or null. */
    String username(int k) {
        return usernamePattern == null ? null : fill(usernamePattern, k % identities);
    }

    /** The password connection {@code k} sends, or null. */
    byte[] password(int k) {
        return passwordPattern == null ? null : fill(passwordPattern, k % identities).getBytes(StandardCharsets.UTF_8);
    }

    /** For the report: "tcp", "tls (JDK), client certificate", plus the credentials' shape. */
    String describe() {
        StringBuilder d = new StringBuilder(tls() ? "TLS (" + provider + (resume ? ", sessions resumed" : ", full handshakes") + ")" : "TCP");
        if (certificatePattern != null) {
            d.append(", client certificate").append(certificatePattern.contains("%d") ? "s " + certificatePattern + " × " + identities : " " + certificatePattern);
        }
        if (usernamePattern == null) {
            d.append(certificatePattern == null ? ", anonymous" : "");
        } else if (usernamePattern.contains("%d") || passwordPattern != null && passwordPattern.contains("%d")) {
            d.append(", user name ").append(usernamePattern).append(passwordPattern != null ? " with password" : "")
                    .append(", ").append(identities).append(" identities");
        } else {
            d.append(", one shared user name ").append(usernamePattern).append(passwordPattern != null ? " with password" : "");
        }
        return d.toString();
    }

    /**
     * Trusts server chains that chain to the CA file, as the JDK's PKIX trust manager decides, and remembers the last
     * chain it accepted: the same server certificate again is accepted without validating it anew. Each validation
     * verifies an ECDSA signature in Java (also with the OpenSSL provider, which asks a Java trust manager), a few
     * milliseconds of the generator's CPU per connection that would otherwise cap a connection-rate run well below
     * what a broker takes; the handshake's own signature (CertificateVerify) is still checked every time.
     */
    static final class RememberingTrust extends SimpleTrustManagerFactory {
        private final X509TrustManager manager;

        private RememberingTrust(X509TrustManager pkix) {
            this.manager = new X509TrustManager() {
                private volatile byte[] accepted;

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    byte[] leaf = chain.length == 0 ? null : chain[0].getEncoded();
                    byte[] known = accepted;
                    if (leaf != null && known != null && java.util.Arrays.equals(known, leaf)) {
                        return;
                    }
                    pkix.checkServerTrusted(chain, authType);
                    accepted = leaf;
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    throw new CertificateException("a client does not check client certificates");
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return pkix.getAcceptedIssuers();
                }
            };
        }

        static RememberingTrust of(File caFile) {
            try (var in = java.nio.file.Files.newInputStream(caFile.toPath())) {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                int n = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("ca-" + n++, c);
                }
                if (n == 0) {
                    throw new IllegalArgumentException("no certificate in --cafile " + caFile);
                }
                TrustManagerFactory pkix = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                pkix.init(store);
                for (TrustManager t : pkix.getTrustManagers()) {
                    if (t instanceof X509TrustManager x) {
                        return new RememberingTrust(x);
                    }
                }
                throw new IllegalStateException("no X.509 trust manager");
            } catch (java.io.IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("--cafile " + caFile + ": " + e.getMessage(), e);
            }
        }

        @Override
        protected void engineInit(KeyStore keyStore) {
        }

        @Override
        protected void engineInit(ManagerFactoryParameters parameters) {
        }

        @Override
        protected TrustManager[] engineGetTrustManagers() {
            return new TrustManager[] {manager};
        }
    }

    private static String fill(String pattern, int i) {
        return pattern.replace("%d", Integer.toString(i));
    }
}
