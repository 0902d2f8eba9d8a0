package io.anchormq.bench.routing;

import io.moquette.broker.subscriptions.CTrieSubscriptionDirectory;
import io.moquette.broker.subscriptions.Subscription;
import io.moquette.broker.subscriptions.Topic;
import io.moquette.persistence.MemorySubscriptionsRepository;
import io.netty.handler.codec.mqtt.MqttQoS;

/**
 * Moquette 0.17's subscription directory (a CTrie) with its in-memory repository, as its broker uses them.
 * Moquette 0.17 has no shared subscriptions: a shared group is stored as one subscription whose client id names the
 * group, which gives the one delivery per group that a real implementation produces.
 */
final class MoquetteRouter implements Router {

    private final CTrieSubscriptionDirectory directory = new CTrieSubscriptionDirectory();

    MoquetteRouter() {
        directory.init(new MemorySubscriptionsRepository());
    }

    @Override
    public void subscribe(MixedSubscription s) {
        directory.add(new Subscription(clientOf(s), new Topic(s.filter()), MqttQoS.valueOf(s.qos())));
    }

    @Override
    public void unsubscribe(MixedSubscription s) {
        directory.removeSubscription(new Topic(s.filter()), clientOf(s));
    }

    @Override
    public Object prepare(String topic) {
        return topic;
    }

    @Override
    public int route(Object prepared) {
        // what Moquette's PostOffice does per PUBLISH: parse the topic, match, one subscription per client
        return directory.matchQosSharpening(new Topic((String) prepared)).size();
    }

    private static String clientOf(MixedSubscription s) {
        return s.isShared() ? "$share/" + s.shareGroup() + "/" + s.filter() : s.clientId();
    }
}
