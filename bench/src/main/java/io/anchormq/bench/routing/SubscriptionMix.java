package io.anchormq.bench.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic, fleet-shaped data set: devices grouped in tenants of 1,000, each publishing on
 * {@code fleet/{tenant}/{device}/telemetry/{metric}}, {@code .../status} and receiving on {@code .../cmd}.
 * The subscriptions mix what such a fleet has:
 * <ul>
 *   <li>30% devices subscribed to their own command topic (exact filter),</li>
 *   <li>30% per-device exact telemetry filters (digital twins),</li>
 *   <li>15% applications with one {@code +} at a level chosen uniformly among the five,</li>
 *   <li>15% monitors with a {@code #} tail after the device or the telemetry level (1 in 20 tenant-wide),</li>
 *   <li>10% members of shared groups of four on {@code fleet/{tenant}/+/telemetry/{metric}}.</li>
 * </ul>
 * The same seed gives the same subscriptions and topics, so every router in a run is measured on the same data.
 */
public final class SubscriptionMix {

    static final int DEVICES_PER_TENANT = 1000;
    static final int SHARED_GROUP_SIZE = 4;
    static final String[] METRICS = {"temp", "humidity", "pressure", "battery", "rssi", "co2", "voltage", "current"};

    private final int devices;
    private final List<MixedSubscription> subscriptions;

    private SubscriptionMix(int devices, List<MixedSubscription> subscriptions) {
        this.devices = devices;
        this.subscriptions = subscriptions;
    }

    /** {@code count} subscriptions of the mix. */
    public static SubscriptionMix of(int count, long seed) {
        int devices = Math.max(1, (count * 3 + 9) / 10);
        return new SubscriptionMix(devices, generate(count, devices, new SplittableRandom(seed), ""));
    }

    private static List<MixedSubscription> generate(int count, int devices, SplittableRandom random, String prefix) {
        List<MixedSubscription> out = new ArrayList<>(count);
        int tenants = tenants(devices);
        int commandDevice = random.nextInt(devices);
        int twin = random.nextInt(devices);
        int shared = 0;
        for (int i = 0; i < count; i++) {
            int slot = i % 20;
            if (slot < 6) {
                int d = commandDevice++ % devices;
                out.add(new MixedSubscription(prefix + deviceId(d), null, deviceTopic(d, "cmd"), 1));
            } else if (slot < 12) {
                int d = twin++ % devices;
                out.add(new MixedSubscription(prefix + "twin-" + i, null, telemetryTopic(d, metric(random)), 1));
            } else if (slot < 15) {
                out.add(new MixedSubscription(prefix + "app-" + i, null, plusFilter(random, devices), 0));
            } else if (slot < 18) {
                out.add(new MixedSubscription(prefix + "monitor-" + i, null, hashFilter(random, devices), 0));
            } else {
                int group = shared++ / SHARED_GROUP_SIZE;
                String filter = "fleet/" + tenantId(group % tenants) + "/+/telemetry/"
                        + METRICS[(group / tenants) % METRICS.length];
                out.add(new MixedSubscription(prefix + "worker-" + i, prefix + "g" + group, filter, 1));
            }
        }
        return out;
    }

    public List<MixedSubscription> subscriptions() {
        return subscriptions;
    }

    public int devices() {
        return devices;
    }

    /**
     * Topics as the fleet publishes them: 70% telemetry, 15% status, 15% command, of devices drawn uniformly, so
     * most have subscribers and some only match wildcards.
     */
    public String[] topics(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        String[] topics = new String[count];
        for (int i = 0; i < count; i++) {
            int d = random.nextInt(devices);
            int kind = random.nextInt(20);
            topics[i] = kind < 14 ? telemetryTopic(d, metric(random))
                    : kind < 17 ? deviceTopic(d, "status") : deviceTopic(d, "cmd");
        }
        return topics;
    }

    /**
     * Subscriptions of the same mix, over the same devices, that are not in the data set (their client ids and
     * group names are new), for subscribe/unsubscribe cycles that leave the structure as it was.
     */
    public List<MixedSubscription> freshSubscriptions(int count, long seed) {
        return generate(count, devices, new SplittableRandom(seed), "fresh-");
    }

    static String deviceId(int d) {
        return "d" + d;
    }

    static String tenantId(int t) {
        return "t" + t;
    }

    static int tenants(int devices) {
        return (devices + DEVICES_PER_TENANT - 1) / DEVICES_PER_TENANT;
    }

    static String deviceTopic(int d, String leaf) {
        return "fleet/" + tenantId(d / DEVICES_PER_TENANT) + "/" + deviceId(d) + "/" + leaf;
    }

    static String telemetryTopic(int d, String metric) {
        return deviceTopic(d, "telemetry/" + metric);
    }

    private static String metric(SplittableRandom random) {
        return METRICS[random.nextInt(METRICS.length)];
    }

    private static String plusFilter(SplittableRandom random, int devices) {
        String[] levels = telemetryTopic(random.nextInt(devices), metric(random)).split("/");
        levels[random.nextInt(levels.length)] = "+";
        return String.join("/", levels);
    }

    private static String hashFilter(SplittableRandom random, int devices) {
        int d = random.nextInt(devices);
        int pick = random.nextInt(20);
        if (pick == 0) {
            return "fleet/" + tenantId(d / DEVICES_PER_TENANT) + "/#";
        }
        return pick < 11 ? deviceTopic(d, "#") : deviceTopic(d, "telemetry/#");
    }
}
