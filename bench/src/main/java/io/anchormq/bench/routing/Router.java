package io.anchormq.bench.routing;

/**
 * A subscription structure under measurement. {@link #route} returns the number of deliveries: one per matching
 * client however many of its filters match, plus one per matching shared group, so that all routers do the same
 * work and their counts can be compared.
 */
public interface Router {

    void subscribe(MixedSubscription subscription);

    void unsubscribe(MixedSubscription subscription);

    /**
     * What the broker has in hand when a PUBLISH arrives, before routing: anchormq has built its {@code Message};
     * the others get the topic string and parse it themselves, as their brokers do.
     */
    Object prepare(String topic);

    int route(Object prepared);

    /** The routers compared in every run, by the name used as JMH parameter. */
    static Router named(String name) {
        return switch (name) {
            case "anchormq" -> new AnchormqRouter();
            case "moquette" -> new MoquetteRouter();
            case "linear" -> new LinearRouter();
            default -> throw new IllegalArgumentException("unknown router " + name);
        };
    }

    static Router loaded(String name, Iterable<MixedSubscription> subscriptions) {
        Router router = named(name);
        for (MixedSubscription s : subscriptions) {
            router.subscribe(s);
        }
        return router;
    }
}
