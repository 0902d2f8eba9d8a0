package io.anchormq.broker.retained;

import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.TopicFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Retained messages in memory, by topic. Matching a wildcard filter scans all topics. */
public final class InMemoryRetainedStore implements RetainedStore {

    private final ConcurrentHashMap<String, Message> byTopic = new ConcurrentHashMap<>();

    @Override
    public void accept(Message message) {
        if (message.payload().length == 0) {
            byTopic.remove(message.topic());
        } else {
            byTopic.put(message.topic(), message.withRetain(true));
        }
    }

    @Override
    public List<Message> matching(String filter) {
        long now = System.nanoTime();
        List<Message> result = new ArrayList<>();
        if (!TopicFilter.hasWildcard(filter)) {
            Message m = byTopic.get(filter);
            if (m != null) {
                addUnlessExpired(m, now, result);
            }
            return result;
        }
        for (Message m : byTopic.values()) {
            if (TopicFilter.matches(filter, m.topic())) {
                addUnlessExpired(m, now, result);
            }
        }
        return result;
    }

    private void addUnlessExpired(Message m, long now, List<Message> result) {
        if (m.isExpired(now)) {
            byTopic.remove(m.topic(), m);
        } else {
            result.add(m);
        }
    }

    @Override
    public int size() {
        return byTopic.size();
    }
}
