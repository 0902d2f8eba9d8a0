package io.anchormq.bench.routing;

import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.Subscription;
import io.anchormq.broker.routing.TopicRouter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** anchormq's {@link TopicRouter}, delivering to counting subscribers. */
final class AnchormqRouter implements Router {

    private static final byte[] PAYLOAD = new byte[64];

    private final TopicRouter router = new TopicRouter();
    private final Map<String, CountingSubscriber> subscribers = new HashMap<>();

    @Override
    public void subscribe(MixedSubscription s) {
        CountingSubscriber subscriber = subscribers.computeIfAbsent(s.clientId(), CountingSubscriber::new);
        router.subscribe(subscriber, new Subscription(s.shareGroup(), s.filter(), s.qos(), false, false, 0, 0));
    }

    @Override
    public void unsubscribe(MixedSubscription s) {
        router.unsubscribe(s.clientId(), s.shareGroup(), s.filter());
    }

    @Override
    public Object prepare(String topic) {
        return new Message(topic, 1, false, PAYLOAD, List.of(), "publisher", Message.NEVER);
    }

    @Override
    public int route(Object prepared) {
        return router.route((Message) prepared);
    }
}
