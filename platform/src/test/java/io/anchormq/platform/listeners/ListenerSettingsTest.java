package io.anchormq.platform.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.netty.handler.ssl.ClientAuth;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The listeners' settings as read from the shipped defaults and from overrides: secure by default. */
class ListenerSettingsTest {

    private static Map<String, ListenerSettings> read(String hocon) {
        return ListenerSettings.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve())
                .stream().collect(Collectors.toMap(ListenerSettings::name, Function.identity()));
    }

    @Test
    void byDefaultFourListenersOnLoopbackAdmitAnonymousClients() {
        Map<String, ListenerSettings> listeners = read("");

        assertEquals(Map.of("mqtt", 1883, "mqtts", 8883, "ws", 8083, "wss", 8084),
                listeners.values().stream().collect(Collectors.toMap(ListenerSettings::name, ListenerSettings::port)));
        for (ListenerSettings l : listeners.values()) {
            assertTrue(l.enabled(), l.name());
            assertEquals("127.0.0.1", l.host(), l.name());
            assertTrue(l.anonymousAllowed(), l.name() + ": auto on loopback");
        }
        assertEquals(ClientAuth.REQUIRE, listeners.get("mqtts").clientAuth());
        assertEquals(ClientAuth.OPTIONAL, listeners.get("wss").clientAuth());
        assertEquals("/mqtt", listeners.get("ws").path());
        assertEquals("127.0.0.1", ConfigFactory.load().getString("anchormq.http.host"));
    }

    @Test
    void anonymousAutoRefusesOnAnAddressOtherMachinesReach() {
        Map<String, ListenerSettings> listeners = read("""
                anchormq.mqtt.host = "0.0.0.0"
                anchormq.listeners.mqtts.host = "0.0.0.0"
                anchormq.listeners.ws { host = "0.0.0.0", anonymous = true }
                anchormq.listeners.wss { host = "::1", anonymous = false }
                """);

        assertEquals(false, listeners.get("mqtt").anonymousAllowed());
        assertEquals(false, listeners.get("mqtts").anonymousAllowed());
        assertEquals(true, listeners.get("ws").anonymousAllowed(), "explicit true wins");
        assertEquals(false, listeners.get("wss").anonymousAllowed(), "explicit false wins on loopback");
    }

    @Test
    void clientAuthAndWhatTheLogSays() {
        Map<String, ListenerSettings> listeners = read("""
                anchormq.listeners.mqtts { client-auth = required, host = "0.0.0.0" }
                anchormq.listeners.wss.client-auth = none
                anchormq.listeners.ws.enabled = false
                """);

        assertEquals(ClientAuth.REQUIRE, listeners.get("mqtts").clientAuth());
        assertEquals("client certificates required, anonymous clients refused", listeners.get("mqtts").accepts());
        assertEquals("no client certificates, anonymous clients allowed", listeners.get("wss").accepts());
        assertEquals("anonymous clients allowed", listeners.get("mqtt").accepts());
        assertEquals(false, listeners.get("ws").enabled());
    }

    @Test
    void unknownValuesAreConfigurationErrors() {
        IllegalStateException auth = assertThrows(IllegalStateException.class,
                () -> read("anchormq.listeners.mqtts.client-auth = maybe"));
        assertTrue(auth.getMessage().contains("anchormq.listeners.mqtts.client-auth"), auth.getMessage());
        IllegalStateException anonymous = assertThrows(IllegalStateException.class,
                () -> read("anchormq.listeners.ws.anonymous = sometimes"));
        assertTrue(anonymous.getMessage().contains("anchormq.listeners.ws.anonymous"), anonymous.getMessage());
    }
}
