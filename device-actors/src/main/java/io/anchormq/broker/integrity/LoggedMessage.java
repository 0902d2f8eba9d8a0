package io.anchormq.broker.integrity;

import java.time.Instant;

/**
 * A message as the integrity log records it: who published what where, by digest (the log never holds payloads).
 *
 * @param payloadSha256 SHA-256 of the payload, computed by the publishing session
 */
public record LoggedMessage(String clientId, String topic, int qos, byte[] payloadSha256, Instant receivedAt) {
}
