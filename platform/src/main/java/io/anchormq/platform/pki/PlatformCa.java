package io.anchormq.platform.pki;

import com.typesafe.config.Config;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.IPAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform's certificate authority: it signs device certificates from their CSRs, keeps the set of revoked
 * serials that the TLS listeners consult at every handshake, and makes the listeners' TLS contexts with the server
 * certificate it issued (or the operator's).
 *
 * <p>Without configured files, a CA (EC P-256, self-signed) and a server certificate for the configured names are
 * generated on first start into the pki directory ({@code ca.crt}, {@code ca.key}, {@code server.crt},
 * {@code server.key}) and reused later; the server certificate is issued again at start when its names no longer
 * match the configuration, it was not issued by the CA, or it expires within {@code renew-before}.
 */
public final class PlatformCa {

    private static final Logger log = LoggerFactory.getLogger(PlatformCa.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Certificates start a little in the past: a device whose clock is slightly behind must not see them as future. */
    private static final Duration BACKDATE = Duration.ofMinutes(5);

    private final X509Certificate caCertificate;
    private final PrivateKey caKey;
    private final Path caCertificateFile;
    private final List<X509Certificate> serverChain;
    private final PrivateKey serverKey;
    private final Duration crlValidity;
    private final RevokedSerials revoked = new RevokedSerials();
    private final AtomicLong lastCrlNumber = new AtomicLong();

    private PlatformCa(X509Certificate caCertificate, PrivateKey caKey, Path caCertificateFile,
                       List<X509Certificate> serverChain, PrivateKey serverKey, Duration crlValidity) {
        this.caCertificate = caCertificate;
        this.caKey = caKey;
        this.caCertificateFile = caCertificateFile;
        this.serverChain = serverChain;
        this.serverKey = serverKey;
        this.crlValidity = crlValidity;
    }

    /** Opens (on first start: creates) the CA from the {@code anchormq.pki} section of {@code root}. */
    public static PlatformCa open(Config root) {
        return open(PkiSettings.from(root));
    }

    static PlatformCa open(PkiSettings settings) {
        Path dir = settings.dir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the pki directory " + dir.toAbsolutePath(), e);
        }
        X509Certificate caCertificate;
        PrivateKey caKey;
        Path caCertificateFile;
        if (settings.caCertificate().isPresent() || settings.caKey().isPresent()) {
            caCertificateFile = required(settings.caCertificate(), "anchormq.pki.ca-certificate", "ca-key");
            caCertificate = PemFiles.readCertificates(caCertificateFile).get(0);
            caKey = PemFiles.readKey(required(settings.caKey(), "anchormq.pki.ca-key", "ca-certificate"));
            requireKeyOf(caCertificate, caKey, caCertificateFile);
        } else {
            caCertificateFile = dir.resolve("ca.crt");
            Path keyFile = dir.resolve("ca.key");
            if (Files.exists(caCertificateFile) && Files.exists(keyFile)) {
                caCertificate = PemFiles.readCertificates(caCertificateFile).get(0);
                caKey = PemFiles.readKey(keyFile);
                requireKeyOf(caCertificate, caKey, caCertificateFile);
            } else if (Files.exists(caCertificateFile) || Files.exists(keyFile)) {
                // never replace half of a CA: devices may trust the certificate, or the key may be all that is left
                throw new IllegalStateException("the pki directory " + dir.toAbsolutePath()
                        + " has only one of ca.crt and ca.key: restore the other, or remove both for a new CA");
            } else {
                KeyPair pair = newKeyPair();
                caCertificate = selfSignedCa(pair, settings.caValidity());
                caKey = pair.getPrivate();
                PemFiles.write(keyFile, PemFiles.keyPem(caKey), true);
                PemFiles.write(caCertificateFile, PemFiles.pem(caCertificate), false);
                log.info("new platform CA {} in {}", caCertificate.getSubjectX500Principal(), dir.toAbsolutePath());
            }
        }
        warnIfExpiring(caCertificate, settings.renewBefore(), caCertificateFile);

        List<X509Certificate> serverChain;
        PrivateKey serverKey;
        if (settings.serverCertificate().isPresent() || settings.serverKey().isPresent()) {
            Path chainFile = required(settings.serverCertificate(), "anchormq.pki.server-certificate", "server-key");
            serverChain = PemFiles.readCertificates(chainFile);
            serverKey = PemFiles.readKey(required(settings.serverKey(), "anchormq.pki.server-key",
                    "server-certificate"));
            requireKeyOf(serverChain.get(0), serverKey, chainFile);
            // the operator's certificate is theirs to renew
            warnIfExpiring(serverChain.get(0), settings.renewBefore(), chainFile);
        } else {
            Path certificateFile = dir.resolve("server.crt");
            Path keyFile = dir.resolve("server.key");
            Set<String> wanted = names(settings.serverDnsNames(), settings.serverIpAddresses());
            String reason = reasonToReissue(certificateFile, keyFile, caCertificate, wanted, settings.renewBefore());
            if (reason == null) {
                serverChain = List.of(PemFiles.readCertificates(certificateFile).get(0), caCertificate);
                serverKey = PemFiles.readKey(keyFile);
            } else {
                KeyPair pair = newKeyPair();
                X509Certificate server = serverCertificate(caCertificate, caKey, pair.getPublic(),
                        settings.serverDnsNames(), settings.serverIpAddresses(), settings.serverValidity());
                PemFiles.write(keyFile, PemFiles.keyPem(pair.getPrivate()), true);
                PemFiles.write(certificateFile, PemFiles.pem(server), false);
                serverChain = List.of(server, caCertificate);
                serverKey = pair.getPrivate();
                log.info("server certificate for {} issued ({}), valid until {}", wanted, reason,
                        server.getNotAfter().toInstant());
            }
        }
        return new PlatformCa(caCertificate, caKey, caCertificateFile, List.copyOf(serverChain), serverKey,
                settings.crlValidity());
    }

    // ------------------------------------------------------------------------------------------------ signing

    /**
     * Issues a client certificate for a PEM PKCS#10 request (EC or RSA key): subject and public key as requested,
     * extended key usage clientAuth, valid from a few minutes ago for {@code validity} (not past the CA's own
     * expiry), a random 128-bit serial.
     *
     * @throws CsrRejectedException the text is not a PEM PKCS#10 request, its signature does not verify, or its
     *     subject has no CN
     */
    public IssuedCertificate sign(String csrPem, Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity must be positive, not " + validity);
        }
        PKCS10CertificationRequest csr = parse(csrPem);
        verifySignature(csr);
        String commonName = commonName(csr.getSubject());
        Instant now = Instant.now();
        Instant notBefore = now.minus(BACKDATE);
        Instant notAfter = min(now.plus(validity), caCertificate.getNotAfter().toInstant());
        BigInteger serial = newSerial();
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
                    X500Name.getInstance(caCertificate.getSubjectX500Principal().getEncoded()), serial,
                    Date.from(notBefore), Date.from(notAfter), csr.getSubject(), csr.getSubjectPublicKeyInfo())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(csr.getSubjectPublicKeyInfo()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(caCertificate));
            X509Certificate certificate = certificate(builder.build(signer(caKey)));
            String certificatePem = PemFiles.pem(certificate);
            return new IssuedCertificate(serial.toString(16), csr.getSubject().toString(), commonName,
                    certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant(), certificatePem,
                    certificatePem + PemFiles.pem(caCertificate));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + csr.getSubject(), e);
        }
    }

    private static PKCS10CertificationRequest parse(String csrPem) {
        if (csrPem == null || csrPem.isBlank()) {
            throw new CsrRejectedException("empty certificate signing request");
        }
        Object o;
        try (PEMParser parser = new PEMParser(new StringReader(csrPem))) {
            o = parser.readObject();
        } catch (IOException | RuntimeException e) {
            throw new CsrRejectedException("not a PEM PKCS#10 certificate signing request: " + e.getMessage(), e);
        }
        if (o instanceof PKCS10CertificationRequest csr) {
            return csr;
        }
        throw new CsrRejectedException("not a PEM PKCS#10 certificate signing request (expected "
                + "-----BEGIN CERTIFICATE REQUEST-----" + (o == null ? "" : ", found " + o.getClass().getSimpleName())
                + ")");
    }

    private static void verifySignature(PKCS10CertificationRequest csr) {
        boolean valid;
        try {
            valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey(csr)));
        } catch (OperatorCreationException | PKCSException | RuntimeException e) {
            throw new CsrRejectedException("the signature of the certificate signing request cannot be checked: "
                    + e.getMessage(), e);
        }
        if (!valid) {
            throw new CsrRejectedException("the signature of the certificate signing request does not verify with "
                    + "its public key (altered after signing, or signed with another key)");
        }
    }

    /** The request's key as a JDK key (BouncyCastle would look the JDK's key factory up by OID, which it lacks). */
    private static PublicKey publicKey(PKCS10CertificationRequest csr) {
        ASN1ObjectIdentifier algorithm = csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm();
        String name = X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm) ? "EC"
                : PKCSObjectIdentifiers.rsaEncryption.equals(algorithm) ? "RSA" : null;
        if (name == null) {
            throw new CsrRejectedException("the key of the certificate signing request is neither EC nor RSA ("
                    + algorithm + ")");
        }
        try {
            return KeyFactory.getInstance(name).generatePublic(
                    new X509EncodedKeySpec(csr.getSubjectPublicKeyInfo().getEncoded()));
        } catch (GeneralSecurityException | IOException e) {
            throw new CsrRejectedException("the " + name + " key of the certificate signing request is invalid: "
                    + e.getMessage(), e);
        }
    }

    private static String commonName(X500Name subject) {
        RDN[] cns = subject.getRDNs(BCStyle.CN);
        if (cns.length == 0) {
            throw new CsrRejectedException("the subject of the certificate signing request (\"" + subject
                    + "\") has no common name (CN)");
        }
        String cn = IETFUtils.valueToString(cns[0].getFirst().getValue());
        if (cn.isBlank()) {
            throw new CsrRejectedException("the common name (CN) of the certificate signing request is empty");
        }
        return cn;
    }

    // ------------------------------------------------------------------------------------------------ revocation

    /** From now on, handshakes with the certificate of this serial fail, and CRLs list it. */
    public void revoke(BigInteger serial, Instant when) {
        revoked.add(serial, when);
    }

    /** Revokes every serial in {@code revocations} (serial to when it was revoked), e.g. loaded from a database. */
    public void revokeAll(Map<BigInteger, Instant> revocations) {
        revocations.forEach(revoked::add);
    }

    public boolean isRevoked(BigInteger serial) {
        return revoked.contains(serial);
    }

    /** A CRL of every revoked serial, signed by the CA, valid for {@code anchormq.pki.crl-validity}, in PEM. */
    public String crlPem() {
        Instant now = Instant.now();
        X509v2CRLBuilder builder = new X509v2CRLBuilder(
                X500Name.getInstance(caCertificate.getSubjectX500Principal().getEncoded()), Date.from(now));
        builder.setNextUpdate(Date.from(now.plus(crlValidity)));
        revoked.snapshot().forEach((serial, when) -> builder.addCRLEntry(serial, Date.from(when), (Extensions) null));
        // CRL numbers must increase: seconds since the epoch, or one more than the last, whichever is larger
        long number = lastCrlNumber.updateAndGet(last -> Math.max(last + 1, now.getEpochSecond()));
        try {
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCertificate));
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(number)));
            return PemFiles.pem(builder.build(signer(caKey)));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot sign a CRL", e);
        }
    }

    // ------------------------------------------------------------------------------------------------ TLS

    /**
     * A server TLS context (JDK provider, TLS 1.3 and 1.2) with the server certificate; client certificates, when
     * {@code clientAuth} asks for them, must chain to the CA, be valid now and not be revoked.
     */
    public SslContext serverContext(ClientAuth clientAuth) {
        try {
            return SslContextBuilder.forServer(serverKey, serverChain.toArray(X509Certificate[]::new))
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .clientAuth(clientAuth)
                    .trustManager(new RevocationCheckingTrustManager(caCertificate, revoked))
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a TLS context", e);
        }
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    public String caCertificatePem() {
        return PemFiles.pem(caCertificate);
    }

    /** The CA certificate's file: what clients are given to trust the server. */
    public Path caCertificateFile() {
        return caCertificateFile;
    }

    /** The server certificate the TLS listeners present (first) and the rest of its chain. */
    public List<X509Certificate> serverChain() {
        return serverChain;
    }

    // ------------------------------------------------------------------------------------------------ issuing

    private static X509Certificate selfSignedCa(KeyPair pair, Duration validity) {
        Instant now = Instant.now();
        // a random part tells installations apart in clients' trust stores
        byte[] id = new byte[4];
        RANDOM.nextBytes(id);
        X500Name name = new X500Name("CN=anchormq CA " + HexFormat.of().formatHex(id) + ",O=anchormq");
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, newSerial(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(pair.getPublic()));
            return certificate(builder.build(signer(pair.getPrivate())));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot make the platform CA", e);
        }
    }

    private static X509Certificate serverCertificate(X509Certificate ca, PrivateKey caKey, PublicKey key,
                                                     List<String> dnsNames, List<String> ipAddresses,
                                                     Duration validity) {
        if (dnsNames.isEmpty() && ipAddresses.isEmpty()) {
            throw new IllegalStateException("anchormq.pki.server-dns-names and server-ip-addresses are both empty: "
                    + "a server certificate needs at least one name");
        }
        GeneralName[] names = new GeneralName[dnsNames.size() + ipAddresses.size()];
        int i = 0;
        for (String dns : dnsNames) {
            names[i++] = new GeneralName(GeneralName.dNSName, dns);
        }
        for (String ip : ipAddresses) {
            if (!IPAddress.isValid(ip)) {
                throw new IllegalStateException("anchormq.pki.server-ip-addresses: \"" + ip
                        + "\" is not an IP address");
            }
            names[i++] = new GeneralName(GeneralName.iPAddress, ip);
        }
        String cn = dnsNames.isEmpty() ? ipAddresses.get(0) : dnsNames.get(0);
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, newSerial(),
                    Date.from(now.minus(BACKDATE)), Date.from(min(now.plus(validity), ca.getNotAfter().toInstant())),
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build(), key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(key))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(ca));
            return certificate(builder.build(signer(caKey)));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue the server certificate", e);
        }
    }

    /** Why the server certificate in {@code certificateFile} must be issued anew, or null when it can be kept. */
    private static String reasonToReissue(Path certificateFile, Path keyFile, X509Certificate ca, Set<String> wanted,
                                          Duration renewBefore) {
        if (!Files.exists(certificateFile) || !Files.exists(keyFile)) {
            return "none yet";
        }
        X509Certificate current = PemFiles.readCertificates(certificateFile).get(0);
        try {
            current.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            return "the one in " + certificateFile + " is not signed by the CA";
        }
        if (current.getNotAfter().toInstant().isBefore(Instant.now().plus(renewBefore))) {
            return "the previous one expires " + current.getNotAfter().toInstant();
        }
        Set<String> present = names(current);
        if (!present.equals(wanted)) {
            return "the previous one was for " + present;
        }
        return null;
    }

    /** Subject alternative names as "DNS:name" / "IP:address", addresses in one canonical form. */
    private static Set<String> names(List<String> dnsNames, List<String> ipAddresses) {
        Set<String> names = new TreeSet<>();
        dnsNames.forEach(dns -> names.add("DNS:" + dns.toLowerCase(Locale.ROOT)));
        ipAddresses.forEach(ip -> names.add("IP:" + canonicalAddress(ip)));
        return names;
    }

    private static Set<String> names(X509Certificate certificate) {
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans == null) {
                return Set.of();
            }
            return sans.stream().map(san -> {
                int type = (Integer) san.get(0);
                String value = String.valueOf(san.get(1));
                return type == GeneralName.dNSName ? "DNS:" + value.toLowerCase(Locale.ROOT)
                        : type == GeneralName.iPAddress ? "IP:" + canonicalAddress(value) : "other:" + value;
            }).collect(Collectors.toCollection(TreeSet::new));
        } catch (CertificateParsingException e) {
            return Set.of();
        }
    }

    private static String canonicalAddress(String literal) {
        if (!IPAddress.isValid(literal)) {
            return literal;
        }
        try {
            return InetAddress.getByName(literal).getHostAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            return literal;
        }
    }

    private static void warnIfExpiring(X509Certificate certificate, Duration renewBefore, Path file) {
        Instant notAfter = certificate.getNotAfter().toInstant();
        if (notAfter.isBefore(Instant.now().plus(renewBefore))) {
            log.warn("certificate {} in {} expires {}: replace it", certificate.getSubjectX500Principal(), file,
                    notAfter);
        }
    }

    private static void requireKeyOf(X509Certificate certificate, PrivateKey key, Path file) {
        byte[] probe = "anchormq".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signature = Signature.getInstance(algorithmFor(key));
            signature.initSign(key);
            signature.update(probe);
            byte[] signed = signature.sign();
            signature.initVerify(certificate.getPublicKey());
            signature.update(probe);
            if (signature.verify(signed)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // a key of another algorithm than the certificate's: not its key either
        }
        throw new IllegalStateException("the key configured for " + file + " is not the key of its certificate "
                + certificate.getSubjectX500Principal());
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator", e);
        }
    }

    /** Positive, 128 random bits; the top bit set so every serial has the same length. */
    private static BigInteger newSerial() {
        return new BigInteger(128, RANDOM).setBit(127);
    }

    private static String algorithmFor(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new IllegalStateException("unsupported CA key algorithm " + key.getAlgorithm());
        };
    }

    private static ContentSigner signer(PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaContentSignerBuilder(algorithmFor(key)).build(key);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static X509Certificate certificate(X509CertificateHolder holder) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static Path required(Optional<Path> value, String key, String other) {
        return value.orElseThrow(() -> new IllegalStateException(key + " must be set with " + other));
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
