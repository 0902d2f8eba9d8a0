package io.anchormq.platform.tls;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.anchormq.broker.Broker;
import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x509.GeneralName;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An operator's own CA whose certificates name their device by a subject alternative name
 * ({@code anchormq.auth.certificates.identity = dns | uri | email}): the first name of the configured kind is the
 * device, in the configured workspace; a certificate without a name of that kind is refused whatever its CN and its
 * names of other kinds say, and so is one whose name is no device. One broker per kind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorCaSanIdentityTest {

    /** A device per kind of name, each a valid name of its kind. */
    private static final Map<String, String> DEVICES = Map.of(
            "dns", "sensor-9.plant.example",
            "uri", "urn:plant:sensor-9",
            "email", "sensor-9@plant.example");
    private static final Map<String, String> GHOSTS = Map.of(
            "dns", "ghost.plant.example",
            "uri", "urn:plant:ghost",
            "email", "ghost@plant.example");

    private DeviceCredentials.ForeignCa operatorCa;
    private Path caCertificate;
    private Path caKey;

    @BeforeAll
    void makeTheOperatorsCa() throws Exception {
        operatorCa = DeviceCredentials.ForeignCa.create();
        Path dir = Files.createDirectories(Path.of("target/test-data", "operator-ca-san-" + UUID.randomUUID()));
        caCertificate = dir.resolve("ca.crt");
        caKey = dir.resolve("ca.key");
        Files.writeString(caCertificate, DeviceCredentials.pem(operatorCa.certificate()));
        Files.writeString(caKey, DeviceCredentials.keyPem(operatorCa.key()));
    }

    private static GeneralName name(String kind, String value) {
        return new GeneralName(switch (kind) {
            case "dns" -> GeneralName.dNSName;
            case "uri" -> GeneralName.uniformResourceIdentifier;
            default -> GeneralName.rfc822Name;
        }, value);
    }

    private SSLContext signedByTheOperator(String subject, GeneralName... names) {
        KeyPair key = DeviceCredentials.ecKey();
        Instant now = Instant.now();
        X509Certificate cert = DeviceCredentials.clientCertificate(operatorCa.certificate(), operatorCa.key(), key,
                subject, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)), names);
        return DeviceCredentials.tls(operatorCa.certificate(), key.getPrivate(),
                List.of(cert, operatorCa.certificate()));
    }

    private static int refusal(String uri, SSLContext tls) {
        return assertThrows(MqttException.class, () -> TlsClients.v5(uri, tls).close()).getReasonCode();
    }

    @ParameterizedTest(name = "identity = {0}")
    @ValueSource(strings = {"dns", "uri", "email"})
    void theFirstNameOfTheConfiguredKindNamesTheDevice(String kind) throws Exception {
        try (BrokerFixture broker = BrokerFixture.start("""
                anchormq.pki.ca-certificate = "%s"
                anchormq.pki.ca-key = "%s"
                anchormq.listeners.mqtts.client-auth = required
                anchormq.auth.certificates.workspace = plant
                anchormq.auth.certificates.identity = %s
                """.formatted(caCertificate.toAbsolutePath(), caKey.toAbsolutePath(), kind))) {
            AdminClient admin = AdminClient.of(broker);
            admin.createWorkspace("plant", false);
            for (String device : DEVICES.values()) {
                admin.createDevice("plant", device);
            }
            admin.createDevice("plant", "watcher");
            admin.createPassword("plant", "watcher", "plant-watcher", "watcher password 1");
            String mqtts = "ssl://127.0.0.1:" + broker.listenerPort("mqtts");
            String device = DEVICES.get(kind);
            Broker core = broker.server().broker();

            // the name of the configured kind, after one of another kind and before a second of its own kind
            String otherKind = kind.equals("dns") ? "uri" : "dns";
            try (V5 watcher = new V5(broker.tcpUri(), unique("watcher"));
                 V5 client = TlsClients.v5(mqtts, signedByTheOperator("CN=not-the-device,O=Plant",
                         name(otherKind, DEVICES.get(otherKind)), name(kind, device), name(kind, GHOSTS.get(kind))))) {
                watcher.connect(V5.login("plant-watcher", "watcher password 1"));
                watcher.subscribe("line/#", 1);
                assertEquals(0, client.publishReason("line/1", "ok", false));
                assertEquals("ok", watcher.next(Duration.ofSeconds(5)).text());
                assertEquals(1, core.disconnect(id -> "plant".equals(id.workspace()) && device.equals(id.device()),
                        MqttReasonCodes.Disconnect.NOT_AUTHORIZED, "test"), "the client is " + device + " of plant");
            }

            // no name of the configured kind: refused, though its CN and its names of the other kinds are devices
            GeneralName[] others = DEVICES.keySet().stream().filter(k -> !k.equals(kind))
                    .map(k -> name(k, DEVICES.get(k))).toArray(GeneralName[]::new);
            assertEquals(0x87, refusal(mqtts, signedByTheOperator("CN=" + device + ",O=Plant", others)));
            assertEquals(0x87, refusal(mqtts, signedByTheOperator("CN=" + device + ",O=Plant")), "no names at all");
            // a name of the kind that is no device of the workspace
            assertEquals(0x87, refusal(mqtts, signedByTheOperator("CN=" + device + ",O=Plant",
                    name(kind, GHOSTS.get(kind)), name(kind, device))), "only the first name of the kind counts");
        }
    }
}
