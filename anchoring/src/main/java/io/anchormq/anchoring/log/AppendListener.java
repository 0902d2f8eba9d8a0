package io.anchormq.anchoring.log;

/**
 * Hears how one append to an {@link AnchoringActor} ended, once, on the actor's thread: keep it short and hand the
 * result on (tell an actor). A listener instead of a future per append: at tens of thousands of messages per second
 * the futures, their stages and the hops between them cost more than the appends.
 */
public interface AppendListener {

    /** The entry, and a checkpoint covering it, are durable. */
    void appended(Appended appended);

    /** The entry is not in the log. */
    void failed(Throwable failure);

    /**
     * Whether {@link #appended} is wanted: a listener that only needs to hear of failures says no, and the writer
     * then makes no {@link Appended} for it.
     */
    default boolean wantsAppended() {
        return true;
    }
}
