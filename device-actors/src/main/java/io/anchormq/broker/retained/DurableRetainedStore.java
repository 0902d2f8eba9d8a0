package io.anchormq.broker.retained;

import io.anchormq.broker.message.Message;
import io.anchormq.broker.store.BrokerStore;
import io.anchormq.broker.store.BrokerStore.Family;
import io.anchormq.broker.store.StoreRecords;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One workspace's retained messages, written through to the {@link BrokerStore} and read back whole when the
 * workspace opens; lookups are served from memory as in {@link InMemoryRetainedStore}. A message's remaining
 * expiry is kept as a wall-clock time, so it goes on counting down while the broker is stopped.
 */
public final class DurableRetainedStore implements RetainedStore {

    private final InMemoryRetainedStore memory = new InMemoryRetainedStore();
    private final BrokerStore store;
    private final String workspace;

    public DurableRetainedStore(BrokerStore store, String workspace) {
        this.store = store;
        this.workspace = workspace;
        List<byte[]> expired = new ArrayList<>();
        long now = System.nanoTime();
        Map<String, String> publishers = new HashMap<>();
        store.scan(Family.RETAINED, BrokerStore.key(workspace), (key, value) -> {
            Message m = StoreRecords.readMessage(value, publishers);
            if (m.isExpired(now)) {
                expired.add(key);
            } else {
                memory.accept(m);
            }
        });
        for (byte[] key : expired) {
            store.delete(Family.RETAINED, key);
        }
    }

    @Override
    public void accept(Message message) {
        byte[] key = BrokerStore.key(workspace, message.topic());
        if (message.payload().length == 0) {
            store.delete(Family.RETAINED, key);
        } else {
            store.put(Family.RETAINED, key, StoreRecords.message(message.withRetain(true)));
        }
        memory.accept(message);
    }

    @Override
    public List<Message> matching(String filter) {
        return memory.matching(filter);
    }

    @Override
    public int size() {
        return memory.size();
    }

    @Override
    public int sizeOfClientTopics() {
        return memory.sizeOfClientTopics();
    }
}
