package io.anchormq.bench.routing;

import io.anchormq.broker.routing.TopicFilter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The baseline: every filter in a list, each matched against every topic. */
final class LinearRouter implements Router {

    private final List<MixedSubscription> subscriptions = new ArrayList<>();

    @Override
    public void subscribe(MixedSubscription s) {
        subscriptions.add(s);
    }

    @Override
    public void unsubscribe(MixedSubscription s) {
        subscriptions.remove(s);
    }

    @Override
    public Object prepare(String topic) {
        return topic;
    }

    @Override
    public int route(Object prepared) {
        String topic = (String) prepared;
        Set<String> recipients = new HashSet<>();
        for (MixedSubscription s : subscriptions) {
            if (TopicFilter.matches(s.filter(), topic)) {
                recipients.add(s.isShared() ? "$share/" + s.shareGroup() + "/" + s.filter() : s.clientId());
            }
        }
        return recipients.size();
    }
}
