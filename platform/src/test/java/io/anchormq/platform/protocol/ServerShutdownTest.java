package io.anchormq.platform.protocol;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.RawMqttClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A stopping broker tells MQTT 5 clients why they lose the connection. */
class ServerShutdownTest {

    @Test
    void shutdownSendsDisconnect0x8bToMqtt5Clients() throws Exception {
        BrokerFixture broker = BrokerFixture.start();
        try (RawMqttClient v5 = RawMqttClient.open(broker.port()).protocolVersion(RawMqttClient.V5);
             RawMqttClient v3 = RawMqttClient.open(broker.port())) {
            v5.connect5("shutdown-v5");
            v3.connect311("shutdown-v3");
            broker.close();
            v5.expectDisconnect(0x8B, Duration.ofSeconds(5));
            v3.expectClosed(Duration.ofSeconds(5));
        }
    }
}
