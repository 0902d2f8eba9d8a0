package io.anchormq.broker.auth;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * What the listener that accepted a connection promises about it, for authentication at CONNECT. A listener sets it
 * on every channel it accepts ({@link #KEY}) before handing the channel to the broker; a channel without one is
 * treated as {@link #PLAIN}.
 *
 * @param name the listener's name in configuration and logs ("mqtt", "mqtts", "ws", "wss")
 * @param tls the connection is TLS (the broker finds the peer's certificate in the channel's {@code SslHandler})
 * @param clientCertificateRequired the TLS handshake required a client certificate that chains to a trusted CA:
 *     only then may a certificate stand for a device's identity
 * @param anonymousAllowed clients without credentials are admitted (into the default workspace)
 */
public record ListenerProfile(String name, boolean tls, boolean clientCertificateRequired, boolean anonymousAllowed) {

    public static final AttributeKey<ListenerProfile> KEY = AttributeKey.valueOf("anchormq.listener");

    /** A plain TCP listener that admits anonymous clients: what the broker assumes when no listener said. */
    public static final ListenerProfile PLAIN = new ListenerProfile("mqtt", false, false, true);

    public static ListenerProfile of(Channel channel) {
        ListenerProfile profile = channel.attr(KEY).get();
        return profile == null ? PLAIN : profile;
    }
}
