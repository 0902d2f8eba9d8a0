package io.anchormq.bench.routing;

/**
 * One subscription of a benchmark data set, independent of any router's types.
 *
 * @param shareGroup null unless the subscription is shared ({@code $share/{group}/{filter}})
 * @param filter the topic filter without any {@code $share/} prefix
 */
public record MixedSubscription(String clientId, String shareGroup, String filter, int qos) {

    public boolean isShared() {
        return shareGroup != null;
    }
}
