package io.anchormq.broker.retained;

import io.anchormq.broker.message.Message;
import java.util.List;

/**
 * Retained messages by topic, consulted directly (and concurrently) by session actors; an interface so that a
 * durable store can replace the in-memory one.
 */
public interface RetainedStore {

    /** Stores, replaces, or (for an empty payload) deletes the retained message of the message's topic. */
    void accept(Message message);

    /** The unexpired retained messages whose topics match the filter (without share prefix). */
    List<Message> matching(String filter);

    int size();

    /** Retained messages of clients' topics, without the broker's own {@code $} topics (presence, metrics). */
    int sizeOfClientTopics();
}
