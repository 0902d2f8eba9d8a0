package io.anchormq.platform.protocol;

import static io.anchormq.platform.testsupport.PahoTestClients.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.PahoTestClients.V5;
import io.anchormq.platform.testsupport.PahoTestClients.V5Msg;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A member of a shared subscription whose session ends hands every message it had not received to a member that
 * stays (MQTT 5, 4.8.2: the Server SHOULD send it to another subscribing Client), also the part of its backlog
 * beyond the 1,000 a session keeps in memory, which with durable state (the default) waits on disk.
 */
class SharedBacklogHandOverTest {

    @Test
    void aMemberWhoseSessionEndsHandsItsWholeBacklogIncludingWhatWaitsOnDiskToTheMemberThatStays() throws Exception {
        int n = 2500;
        String topic = unique("backlog/jobs");
        String shared = "$share/" + unique("workers") + "/" + topic;
        String memberA = unique("member-a");
        try (BrokerFixture broker = BrokerFixture.start()) {
            try (V5 a = new V5(broker.tcpUri(), memberA)) {
                a.connect(false, 3600L);
                assertEquals(1, a.subscribe(shared, 1));
                a.disconnect();
            }
            // A is the group's only member, offline: all of it is queued for A, 1,000 in memory and the rest on disk
            try (V5 pub = new V5(broker.tcpUri(), unique("publisher"))) {
                pub.connect(true, 0L);
                for (int i = 0; i < n; i++) {
                    pub.publish(topic, "job-" + i, 1, false);
                }
            }
            try (V5 b = new V5(broker.tcpUri(), unique("member-b"))) {
                b.connect(true, 0L);
                assertEquals(1, b.subscribe(shared, 1));
                // A comes back with a clean start: its old session ends, and with it A's share of the group
                try (V5 aAgain = new V5(broker.tcpUri(), memberA)) {
                    aAgain.connect(true, 0L);
                }
                Set<String> received = new HashSet<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (received.size() < n && System.nanoTime() < deadline) {
                    V5Msg m = b.messages.poll(100, TimeUnit.MILLISECONDS);
                    if (m != null) {
                        received.add(m.text());
                    }
                }
                assertEquals(n, received.size(), "every message A had not received reaches B");
            }
        }
    }
}
