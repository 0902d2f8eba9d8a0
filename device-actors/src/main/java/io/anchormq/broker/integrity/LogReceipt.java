package io.anchormq.broker.integrity;

/**
 * Proof of logging handed back to the publishing session.
 *
 * @param leafIndex the entry's index in its workspace's log
 * @param leafHash RFC 9162 leaf hash of the entry
 * @param checkpoint the signed checkpoint (C2SP tlog-checkpoint note) that first covers the entry
 */
public record LogReceipt(String workspace, long leafIndex, byte[] leafHash, String checkpoint) {
}
