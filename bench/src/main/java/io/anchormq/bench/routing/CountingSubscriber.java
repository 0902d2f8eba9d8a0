package io.anchormq.bench.routing;

import io.anchormq.broker.routing.Delivery;
import io.anchormq.broker.routing.Subscriber;

/** A session stand-in that only counts what it is handed, so the benchmark measures the router alone. */
final class CountingSubscriber implements Subscriber {

    private final String clientId;
    long delivered;

    CountingSubscriber(String clientId) {
        this.clientId = clientId;
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public boolean isOnline() {
        return true;
    }

    @Override
    public void deliver(Delivery delivery) {
        delivered++;
    }
}
