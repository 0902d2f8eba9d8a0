package io.anchormq.bench.loadgen;

/** The load shapes, named as in emqtt-bench and EMQ's open MQTT benchmark. */
public enum Scenario {
    /** N publishers, each to its own topic, each topic read by its own subscriber. */
    P2P("p2p"),
    /** One publisher, N subscribers of its topic. */
    FAN_OUT("fan-out"),
    /** N publishers on their own topics, one subscriber with a wildcard over them all. */
    FAN_IN("fan-in"),
    /** N publishers, one shared subscription group of M members: each message goes to one member. */
    SHARED("shared"),
    /** N connections, as fast as allowed: connect time and rate only, no messages. */
    CONN("conn");

    private final String label;

    Scenario(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Scenario of(String label) {
        for (Scenario s : values()) {
            if (s.label.equals(label) || s.name().equalsIgnoreCase(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scenario " + label + " (p2p, fan-out, fan-in, shared, conn)");
    }

    @Override
    public String toString() {
        return label;
    }
}
