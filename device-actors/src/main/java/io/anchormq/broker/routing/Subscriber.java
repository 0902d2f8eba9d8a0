package io.anchormq.broker.routing;

/** The receiving end of a subscription: a session, addressed without going through any central actor. */
public interface Subscriber {

    String clientId();

    /** Whether a network connection is attached now; shared subscriptions prefer online members. */
    boolean isOnline();

    /** Hands a message to the subscriber's session; must not block. */
    void deliver(Delivery delivery);

    /**
     * Whether this subscriber is online and has as many messages waiting as it should: publishers then pause
     * (back-pressure) instead of filling its queue until messages must be dropped.
     */
    default boolean isCongested() {
        return false;
    }

    /** Runs {@code wake} once (on any thread) when this subscriber is no longer congested, at once if it is not. */
    default void whenUncongested(Runnable wake) {
        wake.run();
    }
}
