package io.anchormq.broker.routing;

import io.anchormq.broker.message.Message;
import java.util.List;

/**
 * A message on its way to one subscriber.
 *
 * @param qos the QoS to deliver with: min(published QoS, granted QoS)
 * @param retain the RETAIN flag to send
 * @param subscriptionIds the identifiers of every matching subscription that carries one
 * @param shareGroup set when the message came through a shared subscription, so it can be re-dispatched
 * @param shareFilter the filter of that shared subscription
 * @param stored where the delivery is kept in the broker's durable state, null if it is not (QoS 0, a session
 *     that does not outlive its connection, the in-memory broker)
 */
public record Delivery(
        Message message,
        int qos,
        boolean retain,
        List<Integer> subscriptionIds,
        String shareGroup,
        String shareFilter,
        Stored stored) {

    /** The key of a stored delivery and the id of the message record it references. */
    public record Stored(byte[] key, long messageId) {
    }

    public Delivery(Message message, int qos, boolean retain, List<Integer> subscriptionIds, String shareGroup,
                    String shareFilter) {
        this(message, qos, retain, subscriptionIds, shareGroup, shareFilter, null);
    }

    public boolean isShared() {
        return shareGroup != null;
    }

    public Delivery storedAt(Stored where) {
        return new Delivery(message, qos, retain, subscriptionIds, shareGroup, shareFilter, where);
    }
}
