package io.anchormq.broker.routing;

/** The receiving end of a subscription: a session, addressed without going through any central actor. */
public interface Subscriber {

    String clientId();

    /** Whether a network connection is attached now; shared subscriptions prefer online members. */
    boolean isOnline();

    /** Hands a message to the subscriber's session; must not block. */
    void deliver(Delivery delivery);
}
