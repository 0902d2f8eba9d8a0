package io.anchormq.broker.routing;

/**
 * One subscription of one session.
 *
 * @param shareGroup null unless this is a shared subscription
 * @param filter the topic filter without any {@code $share/} prefix
 * @param subscriptionId the MQTT 5 Subscription Identifier, 0 when absent
 */
public record Subscription(
        String shareGroup,
        String filter,
        int qos,
        boolean noLocal,
        boolean retainAsPublished,
        int retainHandling,
        int subscriptionId) {

    /** The filter as the client wrote it; the key of the subscription within its session. */
    public String key() {
        return shareGroup == null ? filter : "$share/" + shareGroup + "/" + filter;
    }
}
