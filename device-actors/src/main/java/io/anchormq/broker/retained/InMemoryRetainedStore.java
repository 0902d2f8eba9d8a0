package io.anchormq.broker.retained;

import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.TopicFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Retained messages in memory, by topic. Matching a wildcard filter scans all topics. */
public final class InMemoryRetainedStore implements RetainedStore {

    private final ConcurrentHashMap<String, Message> byTopic = new ConcurrentHashMap<>();
    /** Retained messages of clients' topics (not the broker's own {@code $} topics): what quotas count. */
    private final AtomicInteger ofClients = new AtomicInteger();

    @Override
    public void accept(Message message) {
        boolean client = !message.topic().startsWith("$");
        if (message.payload().length == 0) {
            if (byTopic.remove(message.topic()) != null && client) {
                ofClients.decrementAndGet();
            }
        } else if (byTopic.put(message.topic(), message.withRetain(true)) == null && client) {
            ofClients.incrementAndGet();
        }
    }

    @Override
    public int sizeOfClientTopics() {
        return ofClients.get();
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
            if (byTopic.remove(m.topic(), m) && !m.topic().startsWith("$")) {
                ofClients.decrementAndGet();
            }
        } else {
            result.add(m);
        }
    }

    @Override
    public int size() {
        return byTopic.size();
    }
}
