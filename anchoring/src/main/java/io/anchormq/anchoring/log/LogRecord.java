package io.anchormq.anchoring.log;

import io.anchormq.anchoring.merkle.Rfc9162;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One message to log, as the broker saw it: who sent it, where, with which QoS, the SHA-256 of its payload and when
 * it arrived. The log adds the workspace, a salt and the sequence number. The hash is copied in and out.
 */
public record LogRecord(String clientId, String topic, int qos, byte[] payloadSha256, Instant receivedAt) {

    public LogRecord {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(receivedAt, "receivedAt");
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos is " + qos + ", must be 0, 1 or 2");
        }
        if (payloadSha256.length != Rfc9162.HASH_SIZE) {
            throw new IllegalArgumentException(
                    "payload SHA-256 has " + payloadSha256.length + " bytes, not " + Rfc9162.HASH_SIZE);
        }
        payloadSha256 = payloadSha256.clone();
    }

    @Override
    public byte[] payloadSha256() {
        return payloadSha256.clone();
    }

    /** The hash itself, not a copy, for the log's writer: never to be modified. */
    byte[] payloadSha256Shared() {
        return payloadSha256;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogRecord r && clientId.equals(r.clientId) && topic.equals(r.topic) && qos == r.qos
                && Arrays.equals(payloadSha256, r.payloadSha256) && receivedAt.equals(r.receivedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(clientId, topic, qos, Arrays.hashCode(payloadSha256), receivedAt);
    }

    @Override
    public String toString() {
        return "LogRecord[clientId=" + clientId + ", topic=" + topic + ", qos=" + qos + ", payloadSha256="
                + HexFormat.of().formatHex(payloadSha256) + ", receivedAt=" + receivedAt + "]";
    }
}
