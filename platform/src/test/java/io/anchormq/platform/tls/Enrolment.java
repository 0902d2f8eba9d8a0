package io.anchormq.platform.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.anchormq.platform.pki.IssuedCertificate;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.asn1.x500.RDN;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Device certificates as an operator issues them: the device exists in a workspace, and its CSR is signed through the
 * admin API (a certificate stands for a device only if the platform recorded whom it issued it to).
 */
final class Enrolment {

    static final String WORKSPACE = "tls-devices";

    private Enrolment() {
    }

    /** Signs {@code csrPem} for the device named by its CN (made in {@link #WORKSPACE} if need be). */
    static IssuedCertificate issue(BrokerFixture broker, String csrPem, Duration validity) {
        AdminClient admin = AdminClient.of(broker);
        String device = commonName(csrPem);
        ensureDevice(admin, device);
        AdminClient.Reply r = admin.call("POST", "/api/v1/workspaces/" + WORKSPACE + "/devices/" + device
                + "/certificates?validityDays=" + Math.max(1, validity.toDays()), csrPem);
        assertEquals(201, r.status(), r.body());
        JsonNode j = r.json();
        return new IssuedCertificate(j.get("serial").asText(), j.get("subject").asText(), device,
                Instant.parse(j.get("notBefore").asText()), Instant.parse(j.get("notAfter").asText()),
                j.get("certificate").asText(), j.get("chain").asText());
    }

    /** Records a certificate made by hand with the CA's key as issued to {@code device}, as the API would have. */
    static void record(BrokerFixture broker, X509Certificate certificate, String device) {
        ensureDevice(AdminClient.of(broker), device);
        broker.server().tables().certificates().create(new io.anchormq.platform.store.IssuedCertificate(
                certificate.getSerialNumber().toString(16), WORKSPACE, device,
                certificate.getSubjectX500Principal().getName(), certificate.getNotBefore().toInstant(),
                certificate.getNotAfter().toInstant(), DeviceCredentials.pem(certificate), Instant.now(), null));
    }

    /** A connected plain-TCP 3.1.1 client of {@link #WORKSPACE} (a device "watcher" with a password). */
    static V3 watcher(BrokerFixture broker) throws Exception {
        AdminClient admin = AdminClient.of(broker);
        ensureDevice(admin, "watcher");
        if (admin.call("GET", "/api/v1/workspaces/" + WORKSPACE + "/devices/watcher/credentials", null).json()
                .isEmpty()) {
            admin.createPassword(WORKSPACE, "watcher", "tls-watcher", "watcher password 1");
        }
        V3 client = new V3(broker.tcpUri(), PahoTestClients.unique("watcher"));
        MqttConnectOptions o = new MqttConnectOptions();
        o.setUserName("tls-watcher");
        o.setPassword("watcher password 1".toCharArray());
        o.setConnectionTimeout(5);
        client.client.connect(o).waitForCompletion(PahoTestClients.OP_TIMEOUT_MS);
        return client;
    }

    private static void ensureDevice(AdminClient admin, String device) {
        int ws = admin.call("POST", "/api/v1/workspaces", "{\"id\": \"" + WORKSPACE + "\"}").status();
        assertTrue(ws == 201 || ws == 409, "workspace: " + ws);
        int d = admin.call("POST", "/api/v1/workspaces/" + WORKSPACE + "/devices", "{\"id\": \"" + device + "\"}")
                .status();
        assertTrue(d == 201 || d == 409, "device: " + d);
    }

    private static String commonName(String csrPem) {
        try (PEMParser parser = new PEMParser(new StringReader(csrPem))) {
            PKCS10CertificationRequest csr = (PKCS10CertificationRequest) parser.readObject();
            RDN[] cn = csr.getSubject().getRDNs(BCStyle.CN);
            return IETFUtils.valueToString(cn[0].getFirst().getValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
