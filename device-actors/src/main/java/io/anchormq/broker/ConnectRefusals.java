package io.anchormq.broker;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Refused CONNECTs by why (the MQTT 5 CONNACK reason, also for 3.1.1 clients, who get a coarser return code) and by
 * the listener they came to: what shows a password being guessed, certificates or tokens that no longer work, an
 * authenticator that cannot keep up, a workspace at its maximum of connections. Updated from many threads.
 */
public final class ConnectRefusals {

    /** The reasons counted by name, in the order they are shown; any other code counts as "other". */
    private static final Map<Integer, String> REASONS = new LinkedHashMap<>();

    static {
        REASONS.put(0x86, "badUserNameOrPassword");
        REASONS.put(0x87, "notAuthorized");
        REASONS.put(0x8A, "banned");
        REASONS.put(0x89, "serverBusy");
        REASONS.put(0x88, "serverUnavailable");
        REASONS.put(0x97, "quotaExceeded");
        REASONS.put(0x8C, "badAuthenticationMethod");
        REASONS.put(0x84, "unsupportedProtocolVersion");
        REASONS.put(0x85, "clientIdentifierNotValid");
        REASONS.put(0x81, "malformedPacket");
        REASONS.put(0x82, "protocolError");
        REASONS.put(0x90, "topicNameInvalid");
        REASONS.put(0x95, "packetTooLarge");
        REASONS.put(0x80, "unspecifiedError");
    }

    private static final String OTHER = "other";
    /** MQTT 3.1.1 return codes 1 to 5 as the MQTT 5 reasons they stand for. */
    private static final List<Integer> MQTT311 = List.of(0x84, 0x85, 0x88, 0x86, 0x87);

    /** Per listener, per reason name. */
    private final Map<String, Map<String, LongAdder>> counts = new ConcurrentHashMap<>();
    private final LongAdder late = new LongAdder();

    /**
     * Counts a refusal.
     *
     * @param reasonCode the CONNACK's MQTT 5 reason code, or a 3.1.1 return code (1 to 5)
     * @param afterPenalty it was answered late, the address having failed before
     */
    public void count(String listener, int reasonCode, boolean afterPenalty) {
        int code = reasonCode >= 1 && reasonCode <= MQTT311.size() ? MQTT311.get(reasonCode - 1) : reasonCode;
        counts.computeIfAbsent(listener, l -> new ConcurrentHashMap<>())
                .computeIfAbsent(REASONS.getOrDefault(code, OTHER), r -> new LongAdder()).increment();
        if (afterPenalty) {
            late.increment();
        }
    }

    /** Refusals by reason over all listeners: every reason named, 0 for those that did not happen. */
    public Map<String, Long> byReason() {
        Map<String, Long> m = new LinkedHashMap<>();
        REASONS.values().forEach(r -> m.put(r, 0L));
        m.put(OTHER, 0L);
        counts.values().forEach(perReason -> perReason.forEach((r, n) -> m.merge(r, n.sum(), Long::sum)));
        return m;
    }

    /** Refusals by listener ("mqtt", "mqtts", ...) and reason, as far as there were any. */
    public Map<String, Map<String, Long>> byListener() {
        Map<String, Map<String, Long>> m = new TreeMap<>();
        counts.forEach((listener, perReason) -> {
            Map<String, Long> n = new TreeMap<>();
            perReason.forEach((r, c) -> n.put(r, c.sum()));
            m.put(listener, n);
        });
        return m;
    }

    /** Refusals answered only after the penalty of repeated failures from their address. */
    public long afterPenalty() {
        return late.sum();
    }
}
