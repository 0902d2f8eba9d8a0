package io.anchormq.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The broker's settings, read from the {@code anchormq} section of the configuration (defaults and their
 * documentation are in device-actors' {@code reference.conf}).
 */
public record BrokerSettings(
        int maxPacketSize,
        Duration connectTimeout,
        int maxKeepAlive,
        int receiveMaximum,
        int topicAliasMaximum,
        int maxQueuedMessages,
        int maxStoredMessages,
        long maxSessionExpiryInterval,
        int inboundBufferHighWatermark,
        List<String> denySubscribe,
        int denySubscribeReasonCode,
        List<String> denyPublish,
        int denyPublishReasonCode,
        String presenceTopicPrefix,
        int presenceMaxOfflineClients,
        String receiptsTopicPrefix,
        Duration metricsInterval) {

    /** MQTT 5's "never expires" session expiry interval. */
    public static final long SESSION_NEVER_EXPIRES = 0xFFFF_FFFFL;

    public static BrokerSettings from(Config root) {
        Config mqtt = root.getConfig("anchormq.mqtt");
        Config access = root.getConfig("anchormq.access");
        return new BrokerSettings(
                (int) Math.min(mqtt.getBytes("max-packet-size"), 268_435_455L),
                mqtt.getDuration("connect-timeout"),
                mqtt.getInt("max-keep-alive"),
                mqtt.getInt("receive-maximum"),
                mqtt.getInt("topic-alias-maximum"),
                mqtt.getInt("max-queued-messages"),
                Math.max(mqtt.getInt("max-queued-messages"), mqtt.getInt("max-stored-messages")),
                Math.min(mqtt.getLong("max-session-expiry-interval"), SESSION_NEVER_EXPIRES),
                mqtt.getInt("inbound-buffer-high-watermark"),
                filterList(access, "deny-subscribe"),
                access.getInt("deny-subscribe-reason-code"),
                filterList(access, "deny-publish"),
                access.getInt("deny-publish-reason-code"),
                root.getString("anchormq.presence.topic-prefix"),
                root.getInt("anchormq.presence.max-offline-clients"),
                root.getString("anchormq.receipts.topic-prefix"),
                root.getDuration("anchormq.metrics.interval"));
    }

    /** A list setting that environment variables may also give as one comma-separated string. */
    private static List<String> filterList(Config config, String path) {
        if (config.getValue(path).valueType() == ConfigValueType.STRING) {
            return Arrays.stream(config.getString(path).split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
        }
        return List.copyOf(config.getStringList(path));
    }
}
