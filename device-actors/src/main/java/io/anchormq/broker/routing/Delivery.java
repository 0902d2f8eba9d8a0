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
 */
public record Delivery(
        Message message,
        int qos,
        boolean retain,
        List<Integer> subscriptionIds,
        String shareGroup,
        String shareFilter) {

    public boolean isShared() {
        return shareGroup != null;
    }
}
