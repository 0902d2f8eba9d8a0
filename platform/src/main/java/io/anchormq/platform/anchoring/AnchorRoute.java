package io.anchormq.platform.anchoring;

import io.anchormq.broker.integrity.IntegrityLog;
import io.anchormq.broker.routing.TopicFilter;
import java.util.Set;

/**
 * One line of the anchoring routes: which publishes it covers and what happens to them.
 *
 * @param receipts the PUBACK / PUBREC waits until the entry is durably logged
 */
record AnchorRoute(String filter, Set<Integer> qos, Mode mode, boolean receipts) {

    enum Mode {
        /** Not logged. */
        NONE,
        /** Logged and sealed by signed checkpoints. */
        CHECKPOINT,
        /** Logged, sealed, and the covering checkpoint anchored on the chain. */
        CHAIN
    }

    AnchorRoute {
        if (TopicFilter.parse(filter) == null || TopicFilter.parse(filter).isShared()) {
            throw new IllegalArgumentException("anchoring route: invalid topic filter \"" + filter + "\"");
        }
        for (int q : qos) {
            if (q < 0 || q > 2) {
                throw new IllegalArgumentException("anchoring route " + filter + ": qos " + q + " is not 0, 1 or 2");
            }
        }
        qos = Set.copyOf(qos);
    }

    boolean covers(String topic, int messageQos) {
        return qos.contains(messageQos) && TopicFilter.matches(filter, topic);
    }

    IntegrityLog.Coverage coverage() {
        if (mode == Mode.NONE) {
            return IntegrityLog.Coverage.NONE;
        }
        return receipts ? IntegrityLog.Coverage.LOGGED_BEFORE_ACK : IntegrityLog.Coverage.LOGGED;
    }
}
