package io.anchormq.broker.retained;

import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.TopicFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Retained messages by topic, consulted directly by session actors. Kept behind this class so a persistent
 * implementation can replace the in-memory map later.
 */
public final class RetainedStore {

    private final ConcurrentHashMap<String, Message> byTopic = new ConcurrentHashMap<>();

    /** Stores, replaces, or (for an empty payload) deletes the retained message of the message's topic. */
    public void accept(Message message) {
        if (message.payload().length == 0) {
            byTopic.remove(message.topic());
        } else {
            byTopic.put(message.topic(), message.withRetain(true));
        }
    }

    /** The unexpired retained messages whose topics match the filter (without share prefix). */
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

    public int size() {
        return byTopic.size();
    }
}
