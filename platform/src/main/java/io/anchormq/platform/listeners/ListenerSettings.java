package io.anchormq.platform.listeners;

import com.typesafe.config.Config;
import io.netty.handler.ssl.ClientAuth;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * One MQTT listener's settings: the plain one from {@code anchormq.mqtt.host/port} and
 * {@code anchormq.listeners.mqtt}, the others from {@code anchormq.listeners.<name>} (defaults documented in
 * platform's reference.conf).
 *
 * @param anonymousAllowed resolved: "auto" is allowed exactly when the listener binds to a loopback address
 * @param path the WebSocket listeners' HTTP path
 */
record ListenerSettings(String name, Transport transport, boolean enabled, String host, int port,
                        ClientAuth clientAuth, boolean anonymousAllowed, String path) {

    /** What a listener carries MQTT over, in the words of the start-up log. */
    enum Transport {
        TCP("MQTT over TCP", false, false),
        TLS("MQTT over TLS", true, false),
        WEBSOCKET("MQTT over WebSocket", false, true),
        SECURE_WEBSOCKET("MQTT over secure WebSocket", true, true);

        final String description;
        final boolean tls;
        final boolean webSocket;

        Transport(String description, boolean tls, boolean webSocket) {
            this.description = description;
            this.tls = tls;
            this.webSocket = webSocket;
        }
    }

    static List<ListenerSettings> from(Config root) {
        Config listeners = root.getConfig("anchormq.listeners");
        Config plain = listeners.getConfig("mqtt");
        String plainHost = root.getString("anchormq.mqtt.host");
        return List.of(
                new ListenerSettings("mqtt", Transport.TCP, plain.getBoolean("enabled"), plainHost,
                        root.getInt("anchormq.mqtt.port"), ClientAuth.NONE,
                        anonymous(plain, "anchormq.listeners.mqtt", plainHost), ""),
                secured(listeners, "mqtts", Transport.TLS),
                secured(listeners, "ws", Transport.WEBSOCKET),
                secured(listeners, "wss", Transport.SECURE_WEBSOCKET));
    }

    private static ListenerSettings secured(Config listeners, String name, Transport transport) {
        Config c = listeners.getConfig(name);
        String host = c.getString("host");
        return new ListenerSettings(name, transport, c.getBoolean("enabled"), host, c.getInt("port"),
                transport.tls ? clientAuth(c, "anchormq.listeners." + name) : ClientAuth.NONE,
                anonymous(c, "anchormq.listeners." + name, host),
                transport.webSocket ? c.getString("path") : "");
    }

    private static ClientAuth clientAuth(Config c, String section) {
        return switch (c.getString("client-auth").toLowerCase(Locale.ROOT)) {
            case "none" -> ClientAuth.NONE;
            case "optional" -> ClientAuth.OPTIONAL;
            case "required" -> ClientAuth.REQUIRE;
            default -> throw new IllegalStateException(section + ".client-auth must be none, optional or required, not "
                    + c.getString("client-auth"));
        };
    }

    private static boolean anonymous(Config c, String section, String host) {
        return switch (c.getString("anonymous").toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            case "auto" -> isLoopback(host);
            default -> throw new IllegalStateException(section + ".anonymous must be auto, true or false, not "
                    + c.getString("anonymous"));
        };
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot resolve the listener address " + host, e);
        }
    }

    /** What the listener accepts, for the start-up log, e.g. "client certificates optional, anonymous clients refused". */
    String accepts() {
        String anonymous = anonymousAllowed ? "anonymous clients allowed" : "anonymous clients refused";
        if (!transport.tls) {
            return anonymous;
        }
        String certificates = switch (clientAuth) {
            case NONE -> "no client certificates";
            case OPTIONAL -> "client certificates optional";
            case REQUIRE -> "client certificates required";
        };
        return certificates + ", " + anonymous;
    }
}
