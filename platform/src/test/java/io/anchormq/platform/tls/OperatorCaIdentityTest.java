package io.anchormq.platform.tls;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An operator's own CA: certificates it signed outside the admin API name their device by CN, in the configured
 * workspace ({@code anchormq.auth.certificates}); a CN that is no device of it is refused, and such a client lands nowhere
 * else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorCaIdentityTest {

    private BrokerFixture broker;
    private DeviceCredentials.ForeignCa operatorCa;

    @BeforeAll
    void start() throws Exception {
        operatorCa = DeviceCredentials.ForeignCa.create();
        Path dir = Files.createDirectories(Path.of("target/test-data", "operator-ca-" + UUID.randomUUID()));
        Path cert = dir.resolve("ca.crt");
        Path key = dir.resolve("ca.key");
        Files.writeString(cert, DeviceCredentials.pem(operatorCa.certificate()));
        Files.writeString(key, DeviceCredentials.keyPem(operatorCa.key()));
        broker = BrokerFixture.start("""
                anchormq.pki.ca-certificate = "%s"
                anchormq.pki.ca-key = "%s"
                anchormq.listeners.mqtts.client-auth = required
                anchormq.auth.certificates.workspace = plant
                """.formatted(cert.toAbsolutePath(), key.toAbsolutePath()));
        AdminClient admin = AdminClient.of(broker);
        admin.createWorkspace("plant", false);
        admin.createDevice("plant", "sensor-9");
        admin.createDevice("plant", "watcher");
        admin.createPassword("plant", "watcher", "plant-watcher", "watcher password 1");
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    private SSLContext signedByTheOperator(String subject) {
        KeyPair key = DeviceCredentials.ecKey();
        Instant now = Instant.now();
        X509Certificate cert = DeviceCredentials.clientCertificate(operatorCa.certificate(), operatorCa.key(), key,
                subject, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
        return DeviceCredentials.tls(operatorCa.certificate(), key.getPrivate(),
                List.of(cert, operatorCa.certificate()));
    }

    private String mqtts() {
        return "ssl://127.0.0.1:" + broker.listenerPort("mqtts");
    }

    @Test
    void theCnNamesADeviceOfTheConfiguredWorkspace() throws Exception {
        try (V5 watcher = new V5(broker.tcpUri(), unique("watcher"));
             V5 device = TlsClients.v5(mqtts(), signedByTheOperator("CN=sensor-9,O=Plant"))) {
            watcher.connect(V5.login("plant-watcher", "watcher password 1"));
            watcher.subscribe("line/#", 1);
            assertEquals(0, device.publishReason("line/1", "ok", false));
            assertEquals("ok", watcher.next(Duration.ofSeconds(5)).text());
        }
    }

    @Test
    void aCnThatIsNoDeviceIsRefused() {
        MqttException e = assertThrows(MqttException.class,
                () -> TlsClients.v5(mqtts(), signedByTheOperator("CN=ghost,O=Plant")).close());
        assertEquals(0x87, e.getReasonCode());
    }
}
