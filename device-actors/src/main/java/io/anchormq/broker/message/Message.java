package io.anchormq.broker.message;

import io.netty.handler.codec.mqtt.MqttProperties.MqttProperty;
import java.util.List;

/**
 * An application message as accepted from a publisher (or a will). Immutable and shared by every subscriber it is
 * routed to, so the payload array must never be modified.
 *
 * @param passThrough MQTT 5 properties forwarded unchanged to subscribers (payload format, content type, response
 *     topic, correlation data, user properties in their original order)
 * @param expiresAtNanos {@link System#nanoTime()} deadline from the Message Expiry Interval, or {@link #NEVER}
 */
public record Message(
        String topic,
        int qos,
        boolean retain,
        byte[] payload,
        List<MqttProperty<?>> passThrough,
        String publisherId,
        long expiresAtNanos) {

    public static final long NEVER = Long.MAX_VALUE;

    public boolean hasExpiry() {
        return expiresAtNanos != NEVER;
    }

    public boolean isExpired(long nowNanos) {
        return hasExpiry() && nowNanos - expiresAtNanos >= 0;
    }

    /** Remaining Message Expiry Interval in whole seconds, at least 1 while not expired. */
    public long remainingExpirySeconds(long nowNanos) {
        long remaining = expiresAtNanos - nowNanos;
        return Math.max(1, (remaining + 999_999_999L) / 1_000_000_000L);
    }

    public Message withRetain(boolean retainFlag) {
        return retainFlag == retain ? this
                : new Message(topic, qos, retainFlag, payload, passThrough, publisherId, expiresAtNanos);
    }
}
