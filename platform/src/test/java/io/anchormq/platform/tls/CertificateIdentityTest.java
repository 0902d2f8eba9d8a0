package io.anchormq.platform.tls;

import static io.anchormq.platform.testsupport.PahoTestClients.assertNothing;
import static io.anchormq.platform.testsupport.PahoTestClients.take;
import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.anchoring.testsupport.ExternalTools;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A certificate as a device's identity, end to end: the seed's openssl recipe makes the key and CSR, the admin API
 * signs it, {@code mosquitto_pub --cafile --cert --key} connects over mTLS and lands in the device's workspace; a
 * certificate counts only on a listener that requires one; revoking it through the API disconnects the client at
 * once, puts it in the CRL and fails the next handshake.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CertificateIdentityTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private BrokerFixture broker;
    private AdminClient admin;
    private Path work;

    @BeforeAll
    void start() throws Exception {
        ExternalTools.require(ExternalTools.onPath("openssl").isPresent(), "openssl", "apt-get install openssl");
        ExternalTools.require(ExternalTools.onPath("mosquitto_pub").isPresent(), "mosquitto_pub",
                "apt-get install mosquitto-clients");
        broker = BrokerFixture.start("anchormq.listeners.mqtts.client-auth = required");
        admin = AdminClient.of(broker);
        admin.createWorkspace("fleet", false);
        admin.createDevice("fleet", "device-001");
        admin.createDevice("fleet", "watcher");
        admin.createPassword("fleet", "watcher", "fleet-watcher", "watcher password 1");
        work = Files.createDirectories(Path.of("target/test-data", "mtls-" + UUID.randomUUID()));
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    private V5 watcher() throws Exception {
        V5 c = new V5(broker.tcpUri(), unique("watcher"));
        MqttConnectionOptions o = V5.options(true, 0L);
        o.setUserName("fleet-watcher");
        o.setPassword("watcher password 1".getBytes(StandardCharsets.UTF_8));
        c.connect(o);
        return c;
    }

    /** The seed's recipe, then the chain from the CSR endpoint; returns the certificate's serial. */
    private String enrol(String name) throws Exception {
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        run("openssl", "req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", "/CN=device-001/O=Acme");
        AdminClient.Reply chain = admin.call("POST", "/api/v1/workspaces/fleet/devices/device-001/certificates"
                + "?format=pem", Files.readString(work.resolve(name + ".csr")));
        assertEquals(201, chain.status(), chain.body());
        assertTrue(chain.body().startsWith("-----BEGIN CERTIFICATE-----"), chain.body());
        Files.writeString(work.resolve(name + ".crt"), chain.body());
        AdminClient.Reply ca = admin.call("GET", "/api/v1/pki/ca.pem", null, null);
        assertEquals(200, ca.status());
        Files.writeString(work.resolve("ca.crt"), ca.body());
        String serial = admin.call("GET", "/api/v1/workspaces/fleet/devices/device-001/certificates", null).json()
                .get(admin.call("GET", "/api/v1/workspaces/fleet/devices/device-001/certificates", null).json()
                        .size() - 1).get("serial").asText();
        return serial;
    }

    private List<String> mosquittoPub(String name, String topic, String message) {
        return List.of("mosquitto_pub", "-h", "127.0.0.1", "-p", String.valueOf(broker.listenerPort("mqtts")),
                "-V", "mqttv5", "-q", "1", "-t", topic, "-m", message, "--cafile", "ca.crt", "--cert", name + ".crt",
                "--key", name + ".key");
    }

    @Test
    void aDeviceWithItsCertificateLandsInItsWorkspace() throws Exception {
        enrol("device001");
        try (V5 fleet = watcher(); V5 defaultWorkspace = new V5(broker.tcpUri(), unique("anon"))) {
            defaultWorkspace.connect(true, 0L);
            fleet.subscribe("telemetry/#", 1);
            defaultWorkspace.subscribe("telemetry/#", 1);
            run(mosquittoPub("device001", "telemetry/t", "21.5").toArray(String[]::new));
            assertEquals("21.5", fleet.next(WAIT).text());
            assertNothing(defaultWorkspace.messages, Duration.ofMillis(500), "the device's message outside fleet");
        }
    }

    @Test
    void aCsrWhoseCnIsNotTheDeviceOrThatIsMalformedIsRefused() throws Exception {
        KeyPair key = DeviceCredentials.ecKey();
        AdminClient.Reply other = admin.call("POST", "/api/v1/workspaces/fleet/devices/device-001/certificates",
                DeviceCredentials.csrPem(key, "CN=someone-else"));
        assertEquals(400, other.status(), other.body());
        assertEquals("csr", other.field());
        AdminClient.Reply garbage = admin.call("POST", "/api/v1/workspaces/fleet/devices/device-001/certificates",
                "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS\n-----END CERTIFICATE REQUEST-----\n");
        assertEquals(400, garbage.status(), garbage.body());
        AdminClient.Reply none = admin.call("POST", "/api/v1/workspaces/fleet/devices/device-001/certificates",
                "hello");
        assertEquals(400, none.status(), none.body());
    }

    @Test
    void revokingTheCertificateDisconnectsItsClientAndFailsTheNextHandshake() throws Exception {
        KeyPair key = DeviceCredentials.ecKey();
        var issued = Enrolment.issue(broker, DeviceCredentials.csrPem(key, "CN=device-002"), Duration.ofDays(2));
        var tls = DeviceCredentials.tls(broker.server().pki().caCertificate(), key.getPrivate(),
                DeviceCredentials.certificates(issued.chainPem()));
        try (V5 device = TlsClients.v5("ssl://127.0.0.1:" + broker.listenerPort("mqtts"), tls)) {
            AdminClient.Reply r = admin.call("POST", "/api/v1/workspaces/" + Enrolment.WORKSPACE + "/certificates/"
                    + issued.serial() + "/revoke", null);
            assertEquals(200, r.status(), r.body());
            assertEquals(0x87, take(device.disconnects, WAIT, "the DISCONNECT of the revoked certificate")
                    .getReturnCode());
        }
        X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(
                admin.call("GET", "/api/v1/pki/crl.pem", null, null).body().getBytes(StandardCharsets.US_ASCII)));
        assertNotEquals(null, crl.getRevokedCertificate(new java.math.BigInteger(issued.serial(), 16)));
        assertThrows(Exception.class, () -> TlsClients.v5("ssl://127.0.0.1:" + broker.listenerPort("mqtts"), tls)
                .close());
    }

    @Test
    void aCertificateIsNoIdentityOnAListenerThatDoesNotRequireOne() throws Exception {
        KeyPair key = DeviceCredentials.ecKey();
        var issued = Enrolment.issue(broker, DeviceCredentials.csrPem(key, "CN=device-003"), Duration.ofDays(2));
        var tls = DeviceCredentials.tls(broker.server().pki().caCertificate(), key.getPrivate(),
                DeviceCredentials.certificates(issued.chainPem()));
        // wss asks for a certificate but does not require one: the client is anonymous there, in the default
        // workspace, and sees nothing of the device's workspace
        try (V5 onWss = TlsClients.v5("wss://127.0.0.1:" + broker.listenerPort("wss") + "/mqtt", tls);
             V5 inDefault = new V5(broker.tcpUri(), unique("d"))) {
            inDefault.connect(true, 0L);
            inDefault.subscribe("where/#", 1);
            onWss.publish("where/am/i", "default", 1, false);
            assertEquals("default", inDefault.next(WAIT).text());
        }
    }
}
