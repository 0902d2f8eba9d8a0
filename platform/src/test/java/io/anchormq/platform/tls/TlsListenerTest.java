package io.anchormq.platform.tls;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.anchormq.platform.pki.IssuedCertificate;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.math.BigInteger;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * MQTT over TLS with real clients: the server certificate issued by the platform CA, client certificates issued
 * through the signing API, and the certificates the listener must refuse (none where one is required, another CA's,
 * revoked at runtime, expired).
 */
@Timeout(60)
class TlsListenerTest {

    private static BrokerFixture optional;
    private static BrokerFixture required;

    @BeforeAll
    static void startBrokers() {
        optional = BrokerFixture.start("anchormq.listeners.mqtts.client-auth = optional");
        required = BrokerFixture.start("anchormq.listeners.mqtts.client-auth = required");
    }

    @AfterAll
    static void stopBrokers() {
        for (BrokerFixture broker : new BrokerFixture[] {optional, required}) {
            if (broker != null) {
                broker.close();
            }
        }
    }

    private static String ssl(BrokerFixture broker) {
        return "ssl://127.0.0.1:" + broker.listenerPort("mqtts");
    }

    private static X509Certificate ca(BrokerFixture broker) {
        return broker.server().pki().caCertificate();
    }

    private static SSLContext trustingCa(BrokerFixture broker) {
        return DeviceCredentials.tls(ca(broker), null, null);
    }

    /** A device key and the chain the platform issued for it from its CSR. */
    private record Device(KeyPair key, IssuedCertificate issued) {
        static Device issuedBy(BrokerFixture broker, KeyPair key) {
            return new Device(key, Enrolment.issue(broker,
                    DeviceCredentials.csrPem(key, "CN=device-" + System.nanoTime() + ",O=Acme"), Duration.ofDays(30)));
        }

        List<X509Certificate> chain() {
            return DeviceCredentials.certificates(issued.chainPem());
        }

        SSLContext tls(BrokerFixture broker) {
            return DeviceCredentials.tls(ca(broker), key.getPrivate(), chain());
        }
    }

    // ------------------------------------------------------------------------------------------------ server only

    @Test
    void pahoV3OverTlsTrustingThePlatformCa() throws Exception {
        try (V3 client = TlsClients.v3(ssl(optional), trustingCa(optional))) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void pahoV5OverTlsTrustingThePlatformCa() throws Exception {
        try (V5 client = TlsClients.v5(ssl(optional), trustingCa(optional))) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void hiveMqOverTlsTrustingThePlatformCa() throws Exception {
        TlsClients.hiveMqRoundTrip(optional.listenerPort("mqtts"), ca(optional), null, null);
    }

    @Test
    void clientTrustingAnotherCaRefusesTheServer() {
        SSLContext other = DeviceCredentials.tls(DeviceCredentials.ForeignCa.create().certificate(), null, null);
        assertThrows(Exception.class, () -> TlsClients.v5(ssl(optional), other).close());
    }

    @Test
    void caCertificateFileIsTheOneTheListenerChainsTo() throws Exception {
        X509Certificate fromFile = DeviceCredentials.certificate(optional.caCertificate());
        try (V3 client = TlsClients.v3(ssl(optional), DeviceCredentials.tls(fromFile, null, null))) {
            TlsClients.roundTrip(client);
        }
        org.junit.jupiter.api.Assertions.assertTrue(Files.isReadable(optional.caCertificate()));
    }

    // ------------------------------------------------------------------------------------------------ client certificates

    @Test
    void pahoV3WithIssuedClientCertificate() throws Exception {
        Device device = Device.issuedBy(required, DeviceCredentials.ecKey());
        try (V3 client = TlsClients.v3(ssl(required), device.tls(required))) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void pahoV5WithIssuedClientCertificateOfAnRsaKey() throws Exception {
        Device device = Device.issuedBy(required, DeviceCredentials.rsaKey());
        try (V5 client = TlsClients.v5(ssl(required), device.tls(required))) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void hiveMqWithIssuedClientCertificate() throws Exception {
        Device device = Device.issuedBy(required, DeviceCredentials.ecKey());
        TlsClients.hiveMqRoundTrip(required.listenerPort("mqtts"), ca(required), device.key().getPrivate(),
                device.chain());
    }

    @Test
    void optionalListenerAcceptsAnIssuedClientCertificate() throws Exception {
        Device device = Device.issuedBy(optional, DeviceCredentials.ecKey());
        try (V5 client = TlsClients.v5(ssl(optional), device.tls(optional))) {
            TlsClients.roundTrip(client);
        }
    }

    @Test
    void requiredClientAuthRefusesAClientWithoutCertificate() {
        assertThrows(Exception.class, () -> TlsClients.v5(ssl(required), trustingCa(required)).close());
        assertThrows(Exception.class, () -> TlsClients.v3(ssl(required), trustingCa(required)).close());
    }

    @Test
    void certificateOfAnotherCaIsRefused() {
        DeviceCredentials.ForeignCa other = DeviceCredentials.ForeignCa.create();
        KeyPair key = DeviceCredentials.ecKey();
        Instant now = Instant.now();
        X509Certificate cert = DeviceCredentials.clientCertificate(other.certificate(), other.key(), key,
                "CN=intruder", now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
        SSLContext tls = DeviceCredentials.tls(ca(required), key.getPrivate(), List.of(cert, other.certificate()));

        assertThrows(Exception.class, () -> TlsClients.v5(ssl(required), tls).close());
        assertThrows(Exception.class, () -> TlsClients.v5(ssl(optional), tls).close(),
                "a certificate presented to an optional listener is checked too");
    }

    @Test
    void certificateRevokedAtRuntimeIsRefusedFromTheNextHandshake() throws Exception {
        Device device = Device.issuedBy(required, DeviceCredentials.ecKey());
        try (V5 client = TlsClients.v5(ssl(required), device.tls(required))) {
            TlsClients.roundTrip(client); // accepted before
        }

        required.server().pki().revoke(new BigInteger(device.issued().serial(), 16), Instant.now());

        assertThrows(Exception.class, () -> TlsClients.v5(ssl(required), device.tls(required)).close());
        assertThrows(Exception.class, () -> TlsClients.v3(ssl(required), device.tls(required)).close());
    }

    @Test
    void expiredCertificateIsRefused() throws Exception {
        // issued by the platform CA itself (its key from the pki directory), but over yesterday
        PrivateKey caKey = DeviceCredentials.key(required.caCertificate().resolveSibling("ca.key"));
        KeyPair key = DeviceCredentials.ecKey();
        Instant now = Instant.now();
        X509Certificate expired = DeviceCredentials.clientCertificate(ca(required), caKey, key, "CN=expired",
                now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
        X509Certificate current = DeviceCredentials.clientCertificate(ca(required), caKey, key, "CN=current",
                now.minus(Duration.ofDays(10)), now.plus(Duration.ofDays(1)));
        Enrolment.record(required, current, "current");
        Enrolment.record(required, expired, "expired");

        try (V5 client = TlsClients.v5(ssl(required), DeviceCredentials.tls(ca(required), key.getPrivate(),
                List.of(current, ca(required))))) {
            TlsClients.roundTrip(client); // the same key and issuer within validity: accepted
        }
        assertThrows(Exception.class, () -> TlsClients.v5(ssl(required),
                DeviceCredentials.tls(ca(required), key.getPrivate(), List.of(expired, ca(required)))).close());
    }
}
