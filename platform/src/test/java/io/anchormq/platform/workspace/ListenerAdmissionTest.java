package io.anchormq.platform.workspace;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.platform.testsupport.AdminClient;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V3;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Optional;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Who a listener admits without credentials: none on a listener bound to a non-loopback address (unless configured
 * otherwise) or set to {@code anonymous = false}, in either MQTT version, over TCP and WebSocket; credentials still
 * get in.
 */
class ListenerAdmissionTest {

    private static int v5Refusal(String uri, String username, String password) throws Exception {
        try (V5 c = new V5(uri, unique("a"))) {
            MqttConnectionOptions o = V5.options(true, 0L);
            o.setUserName(username);
            o.setPassword(password == null ? null : password.getBytes(StandardCharsets.UTF_8));
            return assertThrows(MqttException.class, () -> c.connect(o)).getReasonCode();
        }
    }

    private static int v3Refusal(String uri) throws Exception {
        try (V3 c = new V3(uri, unique("a3"))) {
            MqttConnectOptions o = new MqttConnectOptions();
            o.setConnectionTimeout(5);
            // no fallback to 3.1 after the refusal (Paho's WebSocket module cannot reconnect its pipe)
            o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            return assertThrows(org.eclipse.paho.client.mqttv3.MqttException.class,
                    () -> c.client.connect(o).waitForCompletion(5000)).getReasonCode();
        }
    }

    private static void assertAdmitted(String uri, String username, String password) throws Exception {
        try (V5 c = new V5(uri, unique("ok"))) {
            MqttConnectionOptions o = V5.options(true, 0L);
            o.setUserName(username);
            o.setPassword(password.getBytes(StandardCharsets.UTF_8));
            c.connect(o);
            assertTrue(c.client.isConnected());
        }
    }

    @Test
    void aListenerSetToRefuseAnonymousClientsRefusesThemOnTcpAndWebSocket() throws Exception {
        try (BrokerFixture broker = BrokerFixture.start("""
                anchormq.listeners.mqtt.anonymous = false
                anchormq.listeners.ws.anonymous = false""")) {
            AdminClient admin = AdminClient.of(broker);
            admin.createWorkspace("site", false);
            admin.createDevice("site", "gw");
            admin.createPassword("site", "gw", "site-gw", "gateway password 1");
            String ws = "ws://127.0.0.1:" + broker.listenerPort("ws") + "/mqtt";
            for (String uri : new String[] {broker.tcpUri(), ws}) {
                assertEquals(0x87, v5Refusal(uri, null, null), uri + ": no credentials, 5.0 not authorized");
                assertEquals(5, v3Refusal(uri), uri + ": no credentials, 3.1.1 not authorized");
                assertEquals(0x86, v5Refusal(uri, "nobody", "no such user"), uri + ": unknown user name");
                assertAdmitted(uri, "site-gw", "gateway password 1");
            }
        }
    }

    @Test
    void aListenerOnANonLoopbackAddressRefusesAnonymousClientsByDefault() throws Exception {
        Optional<InetAddress> address = nonLoopbackAddress();
        Assumptions.assumeTrue(address.isPresent(), "this machine has no non-loopback IPv4 address");
        String host = address.get().getHostAddress();
        try (BrokerFixture broker = BrokerFixture.start("anchormq.mqtt.host = \"" + host + "\"")) {
            AdminClient admin = AdminClient.of(broker);
            admin.createWorkspace("site", false);
            admin.createDevice("site", "gw");
            admin.createPassword("site", "gw", "site-gw", "gateway password 1");
            String uri = "tcp://" + host + ":" + broker.port();
            assertEquals(0x87, v5Refusal(uri, null, null));
            assertEquals(5, v3Refusal(uri));
            assertEquals(0x86, v5Refusal(uri, "nobody", "no such user"), "no anonymous fallback for unknown names");
            assertAdmitted(uri, "site-gw", "gateway password 1");
        }
    }

    private static Optional<InetAddress> nonLoopbackAddress() throws Exception {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                        return Optional.of(a);
                    }
                }
            }
        }
        return Optional.empty();
    }
}
