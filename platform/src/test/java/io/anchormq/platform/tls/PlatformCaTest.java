package io.anchormq.platform.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.anchormq.platform.pki.CsrRejectedException;
import io.anchormq.platform.pki.IssuedCertificate;
import io.anchormq.platform.pki.PlatformCa;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The platform CA on its own: generated files, reuse and renewal, CSR signing and its refusals, the CRL. */
class PlatformCaTest {

    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

    private Path dir;

    @BeforeEach
    void freshDirectory() {
        dir = Path.of("target/test-data", "pki-" + UUID.randomUUID());
    }

    private PlatformCa open(String hocon) {
        return PlatformCa.open(ConfigFactory.parseString(hocon)
                .withFallback(ConfigFactory.parseMap(Map.of("anchormq.pki.dir", dir.toString())))
                .withFallback(ConfigFactory.load()));
    }

    private static Set<String> sans(X509Certificate certificate) throws Exception {
        return certificate.getSubjectAlternativeNames().stream()
                .map(san -> san.get(0) + ":" + san.get(1)).collect(Collectors.toSet());
    }

    @Test
    void firstStartGeneratesCaAndServerCertificateIntoThePkiDirectoryWithOwnerOnlyKeys() throws Exception {
        PlatformCa ca = open("");

        for (String name : List.of("ca.crt", "ca.key", "server.crt", "server.key")) {
            assertTrue(Files.isRegularFile(dir.resolve(name)), name + " missing");
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
        assertEquals("rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("server.key"))));
        assertEquals(dir.resolve("ca.crt"), ca.caCertificateFile());

        X509Certificate caCert = DeviceCredentials.certificate(dir.resolve("ca.crt"));
        assertEquals(ca.caCertificate(), caCert);
        caCert.verify(caCert.getPublicKey()); // self-signed
        assertTrue(caCert.getBasicConstraints() >= 0, "basicConstraints CA");
        assertTrue(caCert.getKeyUsage()[5] && caCert.getKeyUsage()[6], "keyCertSign and cRLSign");
        assertEquals(256, ((ECPublicKey) caCert.getPublicKey()).getParams().getCurve().getField().getFieldSize());
        Duration validity = Duration.between(caCert.getNotBefore().toInstant(), caCert.getNotAfter().toInstant());
        assertTrue(validity.toDays() >= 3649 && validity.toDays() <= 3651, "CA valid ~10 years: " + validity);
        assertEquals(DeviceCredentials.key(dir.resolve("ca.key")).getAlgorithm(), "EC");

        X509Certificate server = DeviceCredentials.certificate(dir.resolve("server.crt"));
        server.verify(caCert.getPublicKey());
        assertEquals(-1, server.getBasicConstraints());
        assertEquals(List.of(SERVER_AUTH), server.getExtendedKeyUsage());
        assertEquals(Set.of("2:localhost", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1"), sans(server));
        assertEquals(List.of(server, caCert), ca.serverChain());
        assertEquals(ca.caCertificatePem(), Files.readString(dir.resolve("ca.crt")));
    }

    @Test
    void laterStartReusesCaAndServerCertificate() throws Exception {
        open("");
        byte[] caBefore = Files.readAllBytes(dir.resolve("ca.crt"));
        byte[] serverBefore = Files.readAllBytes(dir.resolve("server.crt"));
        byte[] keyBefore = Files.readAllBytes(dir.resolve("server.key"));

        PlatformCa again = open("");

        assertArrayEquals(caBefore, Files.readAllBytes(dir.resolve("ca.crt")));
        assertArrayEquals(serverBefore, Files.readAllBytes(dir.resolve("server.crt")));
        assertArrayEquals(keyBefore, Files.readAllBytes(dir.resolve("server.key")));
        assertEquals(DeviceCredentials.certificate(dir.resolve("server.crt")), again.serverChain().get(0));
    }

    @Test
    void serverCertificateIsIssuedAnewWhenItsNamesNoLongerMatchConfiguration() throws Exception {
        open("");
        X509Certificate before = DeviceCredentials.certificate(dir.resolve("server.crt"));
        byte[] caBefore = Files.readAllBytes(dir.resolve("ca.crt"));

        PlatformCa ca = open("""
                anchormq.pki.server-dns-names = "broker.example.org, localhost"
                anchormq.pki.server-ip-addresses = ["10.1.2.3"]
                """);

        X509Certificate after = DeviceCredentials.certificate(dir.resolve("server.crt"));
        assertNotEquals(before.getSerialNumber(), after.getSerialNumber());
        assertEquals(Set.of("2:broker.example.org", "2:localhost", "7:10.1.2.3"), sans(after));
        assertEquals(after, ca.serverChain().get(0));
        assertArrayEquals(caBefore, Files.readAllBytes(dir.resolve("ca.crt")), "the CA stays");
    }

    @Test
    void serverCertificateIsIssuedAnewWhenItExpiresWithinRenewBefore() throws Exception {
        String shortLived = "anchormq.pki.server-validity = 20d\nanchormq.pki.renew-before = 30d";
        open(shortLived);
        X509Certificate before = DeviceCredentials.certificate(dir.resolve("server.crt"));

        open(shortLived);

        X509Certificate after = DeviceCredentials.certificate(dir.resolve("server.crt"));
        assertNotEquals(before.getSerialNumber(), after.getSerialNumber());
        after.checkValidity();
    }

    @Test
    void aLoneCaKeyIsNeverReplaced() throws Exception {
        open("");
        Files.delete(dir.resolve("ca.crt"));
        byte[] key = Files.readAllBytes(dir.resolve("ca.key"));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> open(""));

        assertTrue(e.getMessage().contains("only one of ca.crt and ca.key"), e.getMessage());
        assertArrayEquals(key, Files.readAllBytes(dir.resolve("ca.key")));
    }

    @Test
    void operatorsOwnCaSignsDeviceCertificatesAndTheServerCertificate() throws Exception {
        DeviceCredentials.ForeignCa own = DeviceCredentials.ForeignCa.create();
        Files.createDirectories(dir);
        Path cert = dir.resolve("operator-ca.pem");
        Path key = dir.resolve("operator-ca.key");
        Files.writeString(cert, DeviceCredentials.pem(own.certificate()));
        Files.writeString(key, DeviceCredentials.keyPem(own.key()));

        PlatformCa ca = open("anchormq.pki.ca-certificate = \"" + cert + "\"\nanchormq.pki.ca-key = \"" + key + "\"");

        assertEquals(own.certificate(), ca.caCertificate());
        assertEquals(cert, ca.caCertificateFile());
        assertFalse(Files.exists(dir.resolve("ca.key")), "no CA of its own generated");
        ca.serverChain().get(0).verify(own.certificate().getPublicKey());
        IssuedCertificate issued = ca.sign(DeviceCredentials.csrPem(DeviceCredentials.ecKey(), "CN=d1"),
                Duration.ofDays(1));
        DeviceCredentials.certificates(issued.certificatePem()).get(0).verify(own.certificate().getPublicKey());
    }

    @Test
    void operatorsOwnServerCertificateIsPresentedAsConfigured() throws Exception {
        DeviceCredentials.ForeignCa issuer = DeviceCredentials.ForeignCa.create();
        KeyPair key = DeviceCredentials.ecKey();
        X509Certificate server = DeviceCredentials.clientCertificate(issuer.certificate(), issuer.key(), key,
                "CN=mqtt.example.org", Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(90)));
        Files.createDirectories(dir);
        Path chain = dir.resolve("operator-server.pem");
        Path keyFile = dir.resolve("operator-server.key");
        Files.writeString(chain, DeviceCredentials.pem(server) + DeviceCredentials.pem(issuer.certificate()));
        Files.writeString(keyFile, DeviceCredentials.keyPem(key.getPrivate()));

        PlatformCa ca = open("anchormq.pki.server-certificate = \"" + chain + "\"\nanchormq.pki.server-key = \""
                + keyFile + "\"");

        assertEquals(List.of(server, issuer.certificate()), ca.serverChain());
        assertFalse(Files.exists(dir.resolve("server.crt")), "no server certificate of its own issued");
        assertTrue(Files.exists(dir.resolve("ca.crt")), "the platform CA still signs device certificates");
    }

    @Test
    void serverKeyThatIsNotTheCertificatesIsRefused() throws Exception {
        open("");
        Files.writeString(dir.resolve("other.key"), DeviceCredentials.keyPem(DeviceCredentials.ecKey().getPrivate()));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> open(
                "anchormq.pki.server-certificate = \"" + dir.resolve("server.crt") + "\"\n"
                        + "anchormq.pki.server-key = \"" + dir.resolve("other.key") + "\""));

        assertTrue(e.getMessage().contains("is not the key of its certificate"), e.getMessage());
    }

    @Test
    void ecAndRsaCsrsAreSignedIntoClientCertificates() throws Exception {
        PlatformCa ca = open("");
        for (KeyPair key : List.of(DeviceCredentials.ecKey(), DeviceCredentials.rsaKey())) {
            Instant before = Instant.now();
            IssuedCertificate issued = ca.sign(DeviceCredentials.csrPem(key, "CN=device-001,O=Acme"),
                    Duration.ofDays(90));

            List<X509Certificate> chain = DeviceCredentials.certificates(issued.chainPem());
            X509Certificate cert = chain.get(0);
            assertEquals(List.of(cert, ca.caCertificate()), chain);
            assertEquals(List.of(cert), DeviceCredentials.certificates(issued.certificatePem()));
            cert.verify(ca.caCertificate().getPublicKey());
            assertEquals(key.getPublic(), cert.getPublicKey());
            assertEquals("device-001", issued.commonName());
            assertEquals("CN=device-001,O=Acme", issued.subject());
            assertEquals(new BigInteger(issued.serial(), 16), cert.getSerialNumber());
            assertEquals(1, cert.getSerialNumber().signum());
            assertEquals(128, cert.getSerialNumber().bitLength());
            assertEquals(List.of(CLIENT_AUTH), cert.getExtendedKeyUsage());
            assertTrue(cert.getKeyUsage()[0], "digitalSignature");
            assertEquals(-1, cert.getBasicConstraints());
            assertNotNull(cert.getExtensionValue(Extension.authorityKeyIdentifier.getId()));
            assertEquals(cert.getNotBefore().toInstant(), issued.notBefore());
            assertEquals(cert.getNotAfter().toInstant(), issued.notAfter());
            assertTrue(issued.notBefore().isBefore(before));
            Duration untilExpiry = Duration.between(before, issued.notAfter());
            assertTrue(untilExpiry.compareTo(Duration.ofDays(90).minusSeconds(5)) > 0
                    && untilExpiry.compareTo(Duration.ofDays(90).plusSeconds(5)) < 0, untilExpiry.toString());
        }
    }

    @Test
    void everyIssuedCertificateHasItsOwnSerial() {
        PlatformCa ca = open("");
        String csr = DeviceCredentials.csrPem(DeviceCredentials.ecKey(), "CN=same");
        assertNotEquals(ca.sign(csr, Duration.ofDays(1)).serial(), ca.sign(csr, Duration.ofDays(1)).serial());
    }

    @Test
    void malformedCsrsAreRejected() {
        PlatformCa ca = open("");
        String notPem = "this is not a certificate request";
        String brokenBase64 = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBzzCCAXUCAQAw!!!\n"
                + "-----END CERTIFICATE REQUEST-----\n";
        String certificateInstead = ca.caCertificatePem();
        for (String csr : List.of(notPem, brokenBase64, certificateInstead, "")) {
            CsrRejectedException e = assertThrows(CsrRejectedException.class, () -> ca.sign(csr, Duration.ofDays(1)),
                    csr);
            assertTrue(e.getMessage().contains("PKCS#10") || e.getMessage().contains("empty"), e.getMessage());
        }
    }

    @Test
    void csrWithBadSignatureIsRejected() throws Exception {
        PlatformCa ca = open("");
        PKCS10CertificationRequest csr = DeviceCredentials.csr(DeviceCredentials.ecKey(), "CN=device-001");
        byte[] der = csr.getEncoded();
        // the signature is the last element of the request: a flipped bit in it no longer verifies
        der[der.length - 3] ^= 0x01;
        String tampered = DeviceCredentials.pem(new PKCS10CertificationRequest(der));

        CsrRejectedException e = assertThrows(CsrRejectedException.class,
                () -> ca.sign(tampered, Duration.ofDays(1)));

        assertTrue(e.getMessage().contains("signature"), e.getMessage());
    }

    @Test
    void csrSignedWithAnotherKeyIsRejected() throws Exception {
        PlatformCa ca = open("");
        KeyPair claimed = DeviceCredentials.ecKey();
        KeyPair signer = DeviceCredentials.ecKey();
        PKCS10CertificationRequest genuine = DeviceCredentials.csr(signer, "CN=device-001");
        // the request names one key but was signed with another
        PKCS10CertificationRequest forged = new PKCS10CertificationRequest(
                new org.bouncycastle.asn1.pkcs.CertificationRequest(
                        new org.bouncycastle.asn1.pkcs.CertificationRequestInfo(genuine.getSubject(),
                                org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                                        claimed.getPublic().getEncoded()),
                                new org.bouncycastle.asn1.DERSet()),
                        genuine.getSignatureAlgorithm(),
                        new org.bouncycastle.asn1.DERBitString(genuine.getSignature())));

        CsrRejectedException e = assertThrows(CsrRejectedException.class,
                () -> ca.sign(DeviceCredentials.pem(forged), Duration.ofDays(1)));

        assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
    }

    @Test
    void csrWithoutCommonNameIsRejected() {
        PlatformCa ca = open("");
        String csr = DeviceCredentials.csrPem(DeviceCredentials.ecKey(), "O=Acme,OU=sensors");

        CsrRejectedException e = assertThrows(CsrRejectedException.class, () -> ca.sign(csr, Duration.ofDays(1)));

        assertTrue(e.getMessage().contains("no common name (CN)"), e.getMessage());
    }

    @Test
    void crlIsSignedByTheCaAndListsExactlyTheRevokedSerials() throws Exception {
        PlatformCa ca = open("");
        BigInteger revoked = new BigInteger(ca.sign(DeviceCredentials.csrPem(DeviceCredentials.ecKey(), "CN=a"),
                Duration.ofDays(1)).serial(), 16);
        BigInteger kept = new BigInteger(ca.sign(DeviceCredentials.csrPem(DeviceCredentials.ecKey(), "CN=b"),
                Duration.ofDays(1)).serial(), 16);
        BigInteger loaded = BigInteger.valueOf(12345);
        Instant when = Instant.parse("2026-01-02T03:04:05Z");
        ca.revoke(revoked, when);
        ca.revokeAll(Map.of(loaded, when));

        String pem = ca.crlPem();

        assertTrue(pem.startsWith("-----BEGIN X509 CRL-----"), pem);
        X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        crl.verify(ca.caCertificate().getPublicKey());
        assertEquals(ca.caCertificate().getSubjectX500Principal(), crl.getIssuerX500Principal());
        assertEquals(2, crl.getRevokedCertificates().size());
        assertEquals(when, crl.getRevokedCertificate(revoked).getRevocationDate().toInstant());
        assertNotNull(crl.getRevokedCertificate(loaded));
        assertNull(crl.getRevokedCertificate(kept));
        assertTrue(ca.isRevoked(revoked) && ca.isRevoked(loaded) && !ca.isRevoked(kept));
        assertTrue(crl.getNextUpdate().after(crl.getThisUpdate()));

        X509CRL next = (X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(ca.crlPem().getBytes(StandardCharsets.US_ASCII)));
        assertTrue(crlNumber(next).compareTo(crlNumber(crl)) > 0, "CRL numbers increase");
    }

    private static BigInteger crlNumber(X509CRL crl) {
        byte[] octets = crl.getExtensionValue(Extension.cRLNumber.getId());
        return org.bouncycastle.asn1.ASN1Integer.getInstance(
                org.bouncycastle.asn1.ASN1OctetString.getInstance(octets).getOctets()).getValue();
    }
}
