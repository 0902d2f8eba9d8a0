package io.anchormq.broker;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Broker-wide counters, updated from many threads; every message the broker drops is counted here. */
public final class BrokerMetrics {

    public final LongAdder connectionsAccepted = new LongAdder();
    public final LongAdder connectionsOpen = new LongAdder();
    public final LongAdder connectionsRefused = new LongAdder();
    public final LongAdder protocolErrors = new LongAdder();
    public final LongAdder messagesReceived = new LongAdder();
    public final LongAdder messagesSent = new LongAdder();
    /** A session's queue was full. */
    public final LongAdder droppedQueueFull = new LongAdder();
    /** Larger than the receiving client's Maximum Packet Size. */
    public final LongAdder droppedTooLarge = new LongAdder();
    /** Message Expiry Interval passed before delivery. */
    public final LongAdder droppedExpired = new LongAdder();
    /** QoS 0 for a client that is offline (not queued, by design). */
    public final LongAdder droppedQos0Offline = new LongAdder();
    /** Appends to the integrity log that failed (the publisher got an error, or its will was not logged). */
    public final LongAdder integrityLogFailures = new LongAdder();
    /** A publisher stopped being read because subscribers of its messages had full queues (back-pressure). */
    public final LongAdder backPressurePauses = new LongAdder();
    /** ... and resumed after the longest pause, the subscribers still behind. */
    public final LongAdder backPressureTimeouts = new LongAdder();
    /** QoS 1 retransmissions (DUP) recognised as already logged: acknowledged, not logged or delivered again. */
    public final LongAdder retransmissionsRecognised = new LongAdder();
    /** Publishes, subscriptions and connections refused for the workspace's quotas (MQTT 5: 0x97). */
    public final LongAdder quotaRefusals = new LongAdder();
    /** Publishers held back (not read) for a while because the workspace's inbound rate was overdrawn. */
    public final LongAdder rateQuotaPauses = new LongAdder();
    /** Offline clients whose presence was forgotten because more than the configured number were remembered. */
    public final LongAdder presenceForgotten = new LongAdder();
    /**
     * The refused CONNECTs of {@link #connectionsRefused}, by reason and listener: for a workspace, those whose
     * credential was one of its own; for the listeners, all.
     */
    public final ConnectRefusals refusals = new ConnectRefusals();

    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("connectionsAccepted", connectionsAccepted.sum());
        m.put("connectionsOpen", connectionsOpen.sum());
        m.put("connectionsRefused", connectionsRefused.sum());
        m.put("protocolErrors", protocolErrors.sum());
        m.put("messagesReceived", messagesReceived.sum());
        m.put("messagesSent", messagesSent.sum());
        m.put("droppedQueueFull", droppedQueueFull.sum());
        m.put("droppedTooLarge", droppedTooLarge.sum());
        m.put("droppedExpired", droppedExpired.sum());
        m.put("droppedQos0Offline", droppedQos0Offline.sum());
        m.put("integrityLogFailures", integrityLogFailures.sum());
        m.put("backPressurePauses", backPressurePauses.sum());
        m.put("backPressureTimeouts", backPressureTimeouts.sum());
        m.put("retransmissionsRecognised", retransmissionsRecognised.sum());
        m.put("presenceForgotten", presenceForgotten.sum());
        m.put("quotaRefusals", quotaRefusals.sum());
        m.put("rateQuotaPauses", rateQuotaPauses.sum());
        m.put("connectionsRefusedAfterPenalty", refusals.afterPenalty());
        return m;
    }
}
