package io.anchormq.platform.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient.Mqtt5Publishes;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.anchormq.platform.testsupport.BrokerFixture;
import io.anchormq.platform.testsupport.HiveMqRawMqtt5Client;
import io.anchormq.platform.testsupport.HiveMqTcpProxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * MQTT 5.0 broker features checked with an independent client library (HiveMQ MQTT client 1.3) over real sockets.
 * Where the HiveMQ API hides wire details (subscription identifiers, topic alias properties, ungraceful connection
 * loss) the helpers {@link HiveMqRawMqtt5Client} and {@link HiveMqTcpProxy} are used.
 */
@Timeout(30)
class HiveMqV5Test {

    private static final long RECEIVE_TIMEOUT_S = 5;
    private static final long ABSENCE_WAIT_MS = 500;

    private static BrokerFixture broker;

    private final List<Mqtt5BlockingClient> clients = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private String topicPrefix;
    private String idSuffix;

    @BeforeAll
    static void startBroker() {
        broker = BrokerFixture.start("anchormq.mqtt.max-keep-alive = 60");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void uniqueNames(TestInfo info) {
        idSuffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        topicPrefix = "hv5/" + info.getTestMethod().map(m -> m.getName()).orElse("t") + "/" + idSuffix;
    }

    @AfterEach
    void disconnectAll() {
        for (Mqtt5BlockingClient c : clients) {
            if (c.getState().isConnected()) {
                try {
                    c.disconnect();
                } catch (RuntimeException ignored) {
                    // best effort
                }
            }
        }
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private String id(String role) {
        return role + idSuffix;
    }

    private String topic(String leaf) {
        return topicPrefix + "/" + leaf;
    }

    private Mqtt5BlockingClient newClient(String clientId) {
        return newClient(clientId, broker.port());
    }

    private Mqtt5BlockingClient newClient(String clientId, int port) {
        Mqtt5BlockingClient c = Mqtt5Client.builder()
                .identifier(clientId)
                .serverHost("127.0.0.1")
                .serverPort(port)
                .buildBlocking();
        clients.add(c);
        return c;
    }

    private Mqtt5BlockingClient connected(String clientId) {
        Mqtt5BlockingClient c = newClient(clientId);
        c.connect();
        return c;
    }

    private static void subscribe(Mqtt5BlockingClient c, String filter, MqttQos qos) {
        Mqtt5SubAckReasonCode code = c.subscribeWith().topicFilter(filter).qos(qos).send().getReasonCodes().get(0);
        assertTrue(code.getCode() == qos.getCode(), "SUBACK for " + filter + " at " + qos + " was " + code);
    }

    private static Mqtt5PublishResult publish(Mqtt5BlockingClient c, String topic, String payload, MqttQos qos) {
        return c.publishWith().topic(topic).payload(payload.getBytes(UTF_8)).qos(qos).send();
    }

    private static Mqtt5PublishResult publishRetained(Mqtt5BlockingClient c, String topic, String payload) {
        return c.publishWith().topic(topic).payload(payload.getBytes(UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
                .retain(true).send();
    }

    private static Mqtt5Publish receive(Mqtt5Publishes publishes) throws InterruptedException {
        return publishes.receive(RECEIVE_TIMEOUT_S, SECONDS)
                .orElseThrow(() -> new AssertionError("no message within " + RECEIVE_TIMEOUT_S + " s"));
    }

    private static Mqtt5Publish receive(BlockingQueue<Mqtt5Publish> queue) throws InterruptedException {
        Mqtt5Publish p = queue.poll(RECEIVE_TIMEOUT_S, SECONDS);
        if (p == null) {
            throw new AssertionError("no message within " + RECEIVE_TIMEOUT_S + " s");
        }
        return p;
    }

    private static void assertNothingReceived(Mqtt5Publishes publishes, long millis) throws InterruptedException {
        Optional<Mqtt5Publish> p = publishes.receive(millis, MILLISECONDS);
        assertTrue(p.isEmpty(), () -> "expected no message but got " + describe(p.get()));
    }

    private static void assertNothingReceived(BlockingQueue<Mqtt5Publish> queue, long millis)
            throws InterruptedException {
        Mqtt5Publish p = queue.poll(millis, MILLISECONDS);
        assertTrue(p == null, () -> "expected no message but got " + describe(p));
    }

    private static String text(Mqtt5Publish p) {
        return new String(p.getPayloadAsBytes(), UTF_8);
    }

    private static String describe(Mqtt5Publish p) {
        return p.getTopic() + " '" + text(p) + "' qos=" + p.getQos().getCode() + " retain=" + p.isRetain();
    }

    // ------------------------------------------------------------------------------------------------ QoS

    @ParameterizedTest(name = "QoS {0}")
    @EnumSource(MqttQos.class)
    void publishAndSubscribeAtSameQosDeliversOnceAtThatQos(MqttQos qos) throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("x"), qos);
        Mqtt5BlockingClient pub = connected(id("pub"));

        publish(pub, topic("x"), "hello-" + qos.getCode(), qos);

        Mqtt5Publish p = receive(received);
        assertEquals(topic("x"), p.getTopic().toString());
        assertEquals("hello-" + qos.getCode(), text(p));
        assertEquals(qos, p.getQos());
        assertFalse(p.isRetain());
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void qos2PublisherToQos2SubscriberDelivers200MessagesExactlyOnceInOrder() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("q2"), MqttQos.EXACTLY_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));

        List<CompletableFuture<Mqtt5PublishResult>> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sent.add(pub.toAsync().publishWith().topic(topic("q2")).payload(("m" + i).getBytes(UTF_8))
                    .qos(MqttQos.EXACTLY_ONCE).send());
        }
        for (CompletableFuture<Mqtt5PublishResult> f : sent) {
            assertTrue(f.get(10, SECONDS).getError().isEmpty(), "publisher-side QoS 2 flow failed");
        }

        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Mqtt5Publish p = receive(received);
            assertEquals(MqttQos.EXACTLY_ONCE, p.getQos());
            payloads.add(text(p));
        }
        List<String> expected = IntStream.range(0, 200).mapToObj(i -> "m" + i).collect(Collectors.toList());
        assertEquals(expected, payloads, "200 QoS 2 messages must arrive once each, in publish order");
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void retransmittedQos2PublishWithSamePacketIdIsDeliveredOnlyOnce() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("dup"), MqttQos.EXACTLY_ONCE);

        try (HiveMqRawMqtt5Client raw = HiveMqRawMqtt5Client.connect(broker.port(), id("raw"), 0)) {
            int[] codes = raw.publishQos2WithRetransmission(topic("dup"), "once".getBytes(UTF_8));
            assertTrue(codes[0] < 0x80 && codes[1] < 0x80 && codes[2] == 0,
                    "PUBREC/PUBREC/PUBCOMP reason codes " + java.util.Arrays.toString(codes));
        }

        assertEquals("once", text(receive(received)));
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void deliveryQosIsDowngradedToGrantedSubscriptionQos() throws Exception {
        Mqtt5BlockingClient sub0 = connected(id("s0"));
        Mqtt5Publishes r0 = sub0.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub0, topic("d"), MqttQos.AT_MOST_ONCE);
        Mqtt5BlockingClient sub1 = connected(id("s1"));
        Mqtt5Publishes r1 = sub1.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub1, topic("d"), MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));

        publish(pub, topic("d"), "q2", MqttQos.EXACTLY_ONCE);

        assertEquals(MqttQos.AT_MOST_ONCE, receive(r0).getQos());
        assertEquals(MqttQos.AT_LEAST_ONCE, receive(r1).getQos());
    }

    @Test
    void deliveryQosIsNotUpgradedAboveQosOfPublish() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("u"), MqttQos.EXACTLY_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));

        publish(pub, topic("u"), "q1", MqttQos.AT_LEAST_ONCE);

        assertEquals(MqttQos.AT_LEAST_ONCE, receive(received).getQos());
    }

    @Test
    void qos1PublishWithoutMatchingSubscriberIsAcknowledgedWithNoMatchingSubscribers() {
        Mqtt5BlockingClient pub = connected(id("pub"));

        Mqtt5PublishResult result = publish(pub, topic("nobody"), "x", MqttQos.AT_LEAST_ONCE);

        assertTrue(result instanceof Mqtt5PublishResult.Mqtt5Qos1Result, "expected a QoS 1 result");
        assertEquals(Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS,
                ((Mqtt5PublishResult.Mqtt5Qos1Result) result).getPubAck().getReasonCode());
    }

    // ------------------------------------------------------------------------------------------------ retained

    @Test
    void retainedMessageIsDeliveredToNewSubscriberWithRetainFlag() throws Exception {
        Mqtt5BlockingClient pub = connected(id("pub"));
        publishRetained(pub, topic("r"), "kept");

        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("r"), MqttQos.AT_LEAST_ONCE);

        Mqtt5Publish p = receive(received);
        assertEquals("kept", text(p));
        assertTrue(p.isRetain(), "retained message delivered on subscribe must carry RETAIN=1");
    }

    @Test
    void newerRetainedMessageReplacesOlderOne() throws Exception {
        Mqtt5BlockingClient pub = connected(id("pub"));
        publishRetained(pub, topic("r"), "v1");
        publishRetained(pub, topic("r"), "v2");

        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("r"), MqttQos.AT_LEAST_ONCE);

        assertEquals("v2", text(receive(received)));
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void retainedMessageWithEmptyPayloadDeletesRetainedMessage() throws Exception {
        Mqtt5BlockingClient pub = connected(id("pub"));
        publishRetained(pub, topic("r"), "v1");
        publishRetained(pub, topic("r"), "");

        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("r"), MqttQos.AT_LEAST_ONCE);

        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void retainHandling0SendsRetainedMessageOnEverySubscribe() throws Exception {
        Mqtt5BlockingClient pub = connected(id("pub"));
        publishRetained(pub, topic("rh"), "kept");
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);

        for (int round = 1; round <= 2; round++) {
            sub.subscribeWith().topicFilter(topic("rh")).qos(MqttQos.AT_LEAST_ONCE)
                    .retainHandling(Mqtt5RetainHandling.SEND).send();
            Mqtt5Publish p = receive(received);
            assertEquals("kept", text(p), "subscribe #" + round);
            assertTrue(p.isRetain());
        }
    }

    @Test
    void retainHandling1SendsRetainedMessageOnlyWhenSubscriptionIsNew() throws Exception {
        Mqtt5BlockingClient pub = connected(id("pub"));
        publishRetained(pub, topic("rh"), "kept");
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);

        sub.subscribeWith().topicFilter(topic("rh")).qos(MqttQos.AT_LEAST_ONCE)
                .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST).send();
        assertEquals("kept", text(receive(received)));

        sub.subscribeWith().topicFilter(topic("rh")).qos(MqttQos.AT_LEAST_ONCE)
                .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST).send();
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void retainHandling2NeverSendsRetainedMessageButDeliversLiveMessages() throws Exception {
        Mqtt5BlockingClient pub = connected(id("pub"));
        publishRetained(pub, topic("rh"), "kept");
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);

        sub.subscribeWith().topicFilter(topic("rh")).qos(MqttQos.AT_LEAST_ONCE)
                .retainHandling(Mqtt5RetainHandling.DO_NOT_SEND).send();
        assertNothingReceived(received, ABSENCE_WAIT_MS);

        publish(pub, topic("rh"), "live", MqttQos.AT_LEAST_ONCE);
        assertEquals("live", text(receive(received)));
    }

    @Test
    void retainAsPublishedKeepsRetainFlagOnLiveDeliveryWhileDefaultClearsIt() throws Exception {
        Mqtt5BlockingClient rap = connected(id("rap"));
        Mqtt5Publishes rapReceived = rap.publishes(MqttGlobalPublishFilter.ALL);
        rap.subscribeWith().topicFilter(topic("rap")).qos(MqttQos.AT_LEAST_ONCE).retainAsPublished(true).send();
        Mqtt5BlockingClient plain = connected(id("plain"));
        Mqtt5Publishes plainReceived = plain.publishes(MqttGlobalPublishFilter.ALL);
        plain.subscribeWith().topicFilter(topic("rap")).qos(MqttQos.AT_LEAST_ONCE).retainAsPublished(false).send();
        Mqtt5BlockingClient pub = connected(id("pub"));

        publishRetained(pub, topic("rap"), "live-retained");

        Mqtt5Publish withRap = receive(rapReceived);
        Mqtt5Publish withoutRap = receive(plainReceived);
        assertEquals("live-retained", text(withRap));
        assertTrue(withRap.isRetain(), "Retain As Published = 1 must forward RETAIN=1");
        assertEquals("live-retained", text(withoutRap));
        assertFalse(withoutRap.isRetain(), "Retain As Published = 0 must forward RETAIN=0 on live delivery");
    }

    // ------------------------------------------------------------------------------------------------ options

    @Test
    void noLocalSuppressesOnlyTheSubscribersOwnMessages() throws Exception {
        Mqtt5BlockingClient self = connected(id("self"));
        Mqtt5Publishes received = self.publishes(MqttGlobalPublishFilter.ALL);
        self.subscribeWith().topicFilter(topic("nl")).qos(MqttQos.AT_LEAST_ONCE).noLocal(true).send();
        Mqtt5BlockingClient other = connected(id("other"));

        publish(self, topic("nl"), "own", MqttQos.AT_LEAST_ONCE);
        publish(other, topic("nl"), "foreign", MqttQos.AT_LEAST_ONCE);

        assertEquals("foreign", text(receive(received)), "own message must be suppressed by No Local");
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void withoutNoLocalSubscriberReceivesItsOwnMessages() throws Exception {
        Mqtt5BlockingClient self = connected(id("self"));
        Mqtt5Publishes received = self.publishes(MqttGlobalPublishFilter.ALL);
        self.subscribeWith().topicFilter(topic("nl")).qos(MqttQos.AT_LEAST_ONCE).noLocal(false).send();

        publish(self, topic("nl"), "own", MqttQos.AT_LEAST_ONCE);

        assertEquals("own", text(receive(received)));
    }

    @Test
    void overlappingSubscriptionsOfOneClientGiveOneDeliveryAtHighestGrantedQos() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("a/b"), MqttQos.AT_MOST_ONCE);
        subscribe(sub, topicPrefix + "/#", MqttQos.EXACTLY_ONCE);
        subscribe(sub, topicPrefix + "/+/b", MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));

        publish(pub, topic("a/b"), "once", MqttQos.EXACTLY_ONCE);

        Mqtt5Publish p = receive(received);
        assertEquals("once", text(p));
        assertEquals(MqttQos.EXACTLY_ONCE, p.getQos());
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void overlappingSubscriptionsDeliverOneMessageCarryingAllSubscriptionIdentifiers() throws Exception {
        try (HiveMqRawMqtt5Client raw = HiveMqRawMqtt5Client.connect(broker.port(), id("raw"), 0)) {
            assertEquals(0, raw.subscribe(topicPrefix + "/+/x", 0, 7), "SUBACK for id 7");
            assertEquals(1, raw.subscribe(topicPrefix + "/#", 1, 9), "SUBACK for id 9");
            Mqtt5BlockingClient pub = connected(id("pub"));

            publish(pub, topic("a/x"), "both", MqttQos.AT_LEAST_ONCE);

            HiveMqRawMqtt5Client.Publish p = raw.readPublish(RECEIVE_TIMEOUT_S * 1000)
                    .orElseThrow(() -> new AssertionError("no PUBLISH within timeout"));
            assertEquals("both", p.payloadUtf8());
            assertEquals(1, p.qos(), "delivery QoS must be the highest granted QoS (1)");
            assertEquals(Set.of(7, 9), new HashSet<>(p.subscriptionIds()),
                    "PUBLISH must carry both Subscription Identifiers");
            assertEquals(2, p.subscriptionIds().size());
            Optional<HiveMqRawMqtt5Client.Publish> second = raw.readPublish(ABSENCE_WAIT_MS);
            assertTrue(second.isEmpty(), "overlapping subscriptions must produce a single PUBLISH");
        }
    }

    // ------------------------------------------------------------------------------------------------ shared

    private BlockingQueue<Mqtt5Publish> sharedMember(String clientId, String filter, int receiveMaximum,
                                                     boolean manualAck) throws Exception {
        Mqtt5BlockingClient c = newClient(clientId);
        c.connectWith().restrictions().receiveMaximum(receiveMaximum).applyRestrictions().send();
        BlockingQueue<Mqtt5Publish> queue = new LinkedBlockingQueue<>();
        c.toAsync().publishes(MqttGlobalPublishFilter.ALL, queue::add, manualAck);
        subscribe(c, filter, MqttQos.AT_LEAST_ONCE);
        return queue;
    }

    private Mqtt5BlockingClient lastClient() {
        return clients.get(clients.size() - 1);
    }

    @Test
    void sharedSubscriptionDeliversEachMessageToExactlyOneMember() throws Exception {
        String filter = "$share/g" + idSuffix + "/" + topic("s");
        BlockingQueue<Mqtt5Publish> a = sharedMember(id("ma"), filter, 64, false);
        BlockingQueue<Mqtt5Publish> b = sharedMember(id("mb"), filter, 64, false);
        Mqtt5BlockingClient pub = connected(id("pub"));

        for (int i = 0; i < 20; i++) {
            publish(pub, topic("s"), "s" + i, MqttQos.AT_LEAST_ONCE);
        }

        List<String> all = new ArrayList<>();
        long deadline = System.currentTimeMillis() + RECEIVE_TIMEOUT_S * 1000;
        while (all.size() < 20 && System.currentTimeMillis() < deadline) {
            Mqtt5Publish p = a.poll(20, MILLISECONDS);
            if (p == null) {
                p = b.poll(20, MILLISECONDS);
            }
            if (p != null) {
                all.add(text(p));
            }
        }
        Thread.sleep(ABSENCE_WAIT_MS);
        a.forEach(p -> all.add(text(p)));
        b.forEach(p -> all.add(text(p)));
        assertEquals(20, all.size(), "each of 20 messages must reach exactly one member; got " + all);
        assertEquals(IntStream.range(0, 20).mapToObj(i -> "s" + i).collect(Collectors.toSet()), new HashSet<>(all));
    }

    @Test
    void sharedSubscriptionDeliversToRemainingMemberAfterOtherMemberLeaves() throws Exception {
        String filter = "$share/g" + idSuffix + "/" + topic("s");
        sharedMember(id("ma"), filter, 64, false);
        Mqtt5BlockingClient leaver = lastClient();
        BlockingQueue<Mqtt5Publish> b = sharedMember(id("mb"), filter, 64, false);
        leaver.disconnect(); // session expiry 0: the session and its share membership end
        Mqtt5BlockingClient pub = connected(id("pub"));

        for (int i = 0; i < 10; i++) {
            publish(pub, topic("s"), "s" + i, MqttQos.AT_LEAST_ONCE);
        }

        Set<String> got = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            got.add(text(receive(b)));
        }
        assertEquals(IntStream.range(0, 10).mapToObj(i -> "s" + i).collect(Collectors.toSet()), got);
    }

    @Test
    void sharedMessagesInFlightOrQueuedToLeavingMemberAreRedispatchedToRemainingMember() throws Exception {
        String filter = "$share/g" + idSuffix + "/" + topic("s");
        // member A: receive maximum 2 and never acknowledges, so it holds 2 in flight and the rest queue up
        BlockingQueue<Mqtt5Publish> a = sharedMember(id("ma"), filter, 2, true);
        Mqtt5BlockingClient leaver = lastClient();
        Mqtt5BlockingClient pub = connected(id("pub"));
        for (int i = 0; i < 6; i++) {
            publish(pub, topic("s"), "early" + i, MqttQos.AT_LEAST_ONCE);
        }
        receive(a);
        receive(a);
        assertNothingReceived(a, 300); // flow control: nothing beyond receive maximum 2

        BlockingQueue<Mqtt5Publish> b = sharedMember(id("mb"), filter, 64, false);
        leaver.disconnect(); // session expiry 0: A's session ends with 2 unacknowledged + 4 undelivered messages
        for (int i = 0; i < 4; i++) {
            publish(pub, topic("s"), "late" + i, MqttQos.AT_LEAST_ONCE);
        }

        Set<String> expected = new HashSet<>();
        IntStream.range(0, 6).forEach(i -> expected.add("early" + i));
        IntStream.range(0, 4).forEach(i -> expected.add("late" + i));
        Set<String> got = new HashSet<>();
        long deadline = System.currentTimeMillis() + RECEIVE_TIMEOUT_S * 1000;
        while (!got.containsAll(expected) && System.currentTimeMillis() < deadline) {
            Mqtt5Publish p = b.poll(100, MILLISECONDS);
            if (p != null) {
                got.add(text(p));
            }
        }
        Set<String> missing = new HashSet<>(expected);
        missing.removeAll(got);
        assertTrue(missing.isEmpty(), "messages never re-dispatched to the remaining member: " + missing);
    }

    // ------------------------------------------------------------------------------------------------ topic aliases

    @Test
    void serverToClientTopicAliasesDeliverEveryMessageOnItsTopic() throws Exception {
        Mqtt5BlockingClient sub = newClient(id("sub"));
        sub.connectWith().restrictions().topicAliasMaximum(2).applyRestrictions().send();
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topicPrefix + "/#", MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));

        List<String> expected = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int t = 0; t < 4; t++) { // more topics than aliases
                String name = topic("alias" + t);
                publish(pub, name, name, MqttQos.AT_LEAST_ONCE);
                expected.add(name);
            }
        }

        List<String> topics = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            Mqtt5Publish p = receive(received);
            assertEquals(text(p), p.getTopic().toString(), "message arrived on the wrong topic");
            topics.add(p.getTopic().toString());
        }
        assertEquals(expected, topics);
        assertTrue(sub.getState().isConnected(), "subscriber was disconnected (topic alias protocol error?)");
    }

    @Test
    void brokerUsesTopicAliasesForClientThatAllowsThem() throws Exception {
        try (HiveMqRawMqtt5Client raw = HiveMqRawMqtt5Client.connect(broker.port(), id("raw"), 5)) {
            assertEquals(1, raw.subscribe(topicPrefix + "/#", 1, 1));
            Mqtt5BlockingClient pub = connected(id("pub"));
            for (int i = 0; i < 3; i++) {
                publish(pub, topic("aliased"), "m" + i, MqttQos.AT_LEAST_ONCE);
            }

            Integer alias = null;
            for (int i = 0; i < 3; i++) {
                HiveMqRawMqtt5Client.Publish p = raw.readPublish(RECEIVE_TIMEOUT_S * 1000)
                        .orElseThrow(() -> new AssertionError("no PUBLISH within timeout"));
                assertEquals("m" + i, p.payloadUtf8());
                assertNotNull(p.topicAlias(), "PUBLISH #" + i + " carries no Topic Alias");
                assertTrue(p.topicAlias() >= 1 && p.topicAlias() <= 5, "alias out of range: " + p.topicAlias());
                if (i == 0) {
                    assertEquals(topic("aliased"), p.topicName(), "first use of an alias must carry the topic name");
                    alias = p.topicAlias();
                } else {
                    assertEquals(alias, p.topicAlias(), "same topic must keep its alias");
                    assertTrue(p.topicName().isEmpty() || p.topicName().equals(topic("aliased")),
                            "unexpected topic name " + p.topicName());
                }
            }
        }
    }

    @Test
    void clientToServerTopicAliasesFromHiveMqClientAreResolved() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topicPrefix + "/#", MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = newClient(id("pub"));
        Mqtt5ConnAck connAck = pub.connectWith().restrictions().sendTopicAliasMaximum(5).applyRestrictions().send();
        // without an advertised Topic Alias Maximum the HiveMQ client would not use aliases and this test would be moot
        assertEquals(32, connAck.getRestrictions().getTopicAliasMaximum(), "CONNACK Topic Alias Maximum");

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String name = topic("up" + (i % 2));
            publish(pub, name, name + "#" + i, MqttQos.AT_LEAST_ONCE);
            expected.add(name + "#" + i);
        }

        List<String> got = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Mqtt5Publish p = receive(received);
            assertTrue(text(p).startsWith(p.getTopic().toString() + "#"), "wrong topic for " + describe(p));
            got.add(text(p));
        }
        assertEquals(expected, got);
    }

    @Test
    void clientTopicAliasSetOnFirstPublishIsResolvedForLaterAliasOnlyPublish() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("raw"), MqttQos.AT_LEAST_ONCE);

        try (HiveMqRawMqtt5Client raw = HiveMqRawMqtt5Client.connect(broker.port(), id("raw"), 0)) {
            int rc1 = raw.publish(topic("raw"), 1, 1, "first".getBytes(UTF_8));
            int rc2 = raw.publish("", 1, 1, "second".getBytes(UTF_8));
            assertTrue(rc1 < 0x80, "PUBACK reason for topic+alias publish: 0x" + Integer.toHexString(rc1));
            assertTrue(rc2 < 0x80, "PUBACK reason for alias-only publish: 0x" + Integer.toHexString(rc2));
        }

        Mqtt5Publish first = receive(received);
        Mqtt5Publish second = receive(received);
        assertEquals("first", text(first));
        assertEquals(topic("raw"), first.getTopic().toString());
        assertEquals("second", text(second));
        assertEquals(topic("raw"), second.getTopic().toString());
    }

    // ------------------------------------------------------------------------------------------------ expiry

    private Mqtt5BlockingClient persistentSubscriber(String clientId, String filter, MqttQos qos) {
        Mqtt5BlockingClient sub = newClient(clientId);
        sub.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
        subscribe(sub, filter, qos);
        return sub;
    }

    @Test
    void messageExpiredWhileSessionIsOfflineIsNotDelivered() throws Exception {
        Mqtt5BlockingClient sub = persistentSubscriber(id("sub"), topic("e"), MqttQos.AT_LEAST_ONCE);
        sub.disconnect();
        Mqtt5BlockingClient pub = connected(id("pub"));
        pub.publishWith().topic(topic("e")).payload("short".getBytes(UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
                .messageExpiryInterval(1).send();
        publish(pub, topic("e"), "marker", MqttQos.AT_LEAST_ONCE);
        Thread.sleep(2200);

        Mqtt5BlockingClient again = newClient(id("sub")); // a fresh client object, like a restarted process
        Mqtt5Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5ConnAck connAck = again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
        assertTrue(connAck.isSessionPresent());

        assertEquals("marker", text(receive(received)), "expired message must not be delivered");
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void forwardedMessageExpiryIntervalIsReducedByTimeSpentQueued() throws Exception {
        Mqtt5BlockingClient sub = persistentSubscriber(id("sub"), topic("e"), MqttQos.AT_LEAST_ONCE);
        sub.disconnect();
        Mqtt5BlockingClient pub = connected(id("pub"));
        pub.publishWith().topic(topic("e")).payload("long".getBytes(UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
                .messageExpiryInterval(60).send();
        Thread.sleep(2200);

        Mqtt5BlockingClient again = newClient(id("sub")); // a fresh client object, like a restarted process
        Mqtt5Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();

        Mqtt5Publish p = receive(received);
        assertEquals("long", text(p));
        assertTrue(p.getMessageExpiryInterval().isPresent(), "Message Expiry Interval must be forwarded");
        long remaining = p.getMessageExpiryInterval().getAsLong();
        assertTrue(remaining >= 1 && remaining <= 58,
                "after ~2.2 s queued, remaining expiry must be <= 58 s, was " + remaining);
    }

    @Test
    void messageExpiryIntervalIsForwardedToOnlineSubscriber() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("e"), MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));

        pub.publishWith().topic(topic("e")).payload("x".getBytes(UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
                .messageExpiryInterval(30).send();

        Mqtt5Publish p = receive(received);
        assertTrue(p.getMessageExpiryInterval().isPresent(), "Message Expiry Interval must be forwarded");
        long remaining = p.getMessageExpiryInterval().getAsLong();
        assertTrue(remaining >= 28 && remaining <= 30, "remaining expiry " + remaining);
    }

    // ------------------------------------------------------------------------------------------------ flow control

    @Test
    void receiveMaximumLimitsUnacknowledgedDeliveriesAndRestFollowAfterAcks() throws Exception {
        Mqtt5BlockingClient sub = newClient(id("sub"));
        sub.connectWith().restrictions().receiveMaximum(2).applyRestrictions().send();
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL, true);
        subscribe(sub, topic("rm"), MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));
        for (int i = 0; i < 6; i++) {
            publish(pub, topic("rm"), "f" + i, MqttQos.AT_LEAST_ONCE);
        }

        List<String> got = new ArrayList<>();
        Mqtt5Publish m0 = receive(received);
        Mqtt5Publish m1 = receive(received);
        got.add(text(m0));
        got.add(text(m1));
        assertNothingReceived(received, 700); // 2 outstanding = receive maximum
        assertTrue(sub.getState().isConnected(),
                "subscriber disconnected: the broker exceeded the client's Receive Maximum of 2");

        m0.acknowledge();
        Mqtt5Publish m2 = receive(received);
        got.add(text(m2));
        assertNothingReceived(received, ABSENCE_WAIT_MS);

        m1.acknowledge();
        m2.acknowledge();
        for (int i = 3; i < 6; i++) {
            Mqtt5Publish m = receive(received);
            got.add(text(m));
            m.acknowledge();
        }
        assertEquals(List.of("f0", "f1", "f2", "f3", "f4", "f5"), got);
        assertTrue(sub.getState().isConnected(), "subscriber disconnected: broker exceeded receive maximum?");
    }

    @Test
    void messageLargerThanClientMaximumPacketSizeIsDroppedOnlyForThatClient() throws Exception {
        Mqtt5BlockingClient small = newClient(id("small"));
        small.connectWith().restrictions().maximumPacketSize(512).applyRestrictions().send();
        Mqtt5Publishes smallReceived = small.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(small, topic("mps"), MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient big = connected(id("big"));
        Mqtt5Publishes bigReceived = big.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(big, topic("mps"), MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));

        byte[] large = new byte[2000];
        java.util.Arrays.fill(large, (byte) 'L');
        pub.publishWith().topic(topic("mps")).payload(large).qos(MqttQos.AT_LEAST_ONCE).send();
        publish(pub, topic("mps"), "small", MqttQos.AT_LEAST_ONCE);

        assertArrayEquals(large, receive(bigReceived).getPayloadAsBytes());
        assertEquals("small", text(receive(bigReceived)));
        assertEquals("small", text(receive(smallReceived)), "oversized message must be skipped for this client");
        assertNothingReceived(smallReceived, ABSENCE_WAIT_MS);
        assertTrue(small.getState().isConnected(), "small client was disconnected");
    }

    // ------------------------------------------------------------------------------------------------ sessions

    @Test
    void persistentSessionKeepsSubscriptionAcrossReconnect() throws Exception {
        Mqtt5BlockingClient sub = persistentSubscriber(id("sub"), topic("p"), MqttQos.AT_LEAST_ONCE);
        sub.disconnect();

        Mqtt5BlockingClient again = newClient(id("sub")); // a fresh client object, like a restarted process
        Mqtt5Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5ConnAck connAck = again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
        assertTrue(connAck.isSessionPresent(), "CONNACK Session Present");
        Mqtt5BlockingClient pub = connected(id("pub"));
        publish(pub, topic("p"), "after", MqttQos.AT_LEAST_ONCE);

        assertEquals("after", text(receive(received)));
    }

    @Test
    void offlinePersistentSessionQueuesQos1And2InOrderButNotQos0() throws Exception {
        Mqtt5BlockingClient sub = persistentSubscriber(id("sub"), topic("p"), MqttQos.EXACTLY_ONCE);
        sub.disconnect();
        Mqtt5BlockingClient pub = connected(id("pub"));
        publish(pub, topic("p"), "q0", MqttQos.AT_MOST_ONCE);
        publish(pub, topic("p"), "q1", MqttQos.AT_LEAST_ONCE);
        publish(pub, topic("p"), "q2", MqttQos.EXACTLY_ONCE);
        publish(pub, topic("p"), "q1b", MqttQos.AT_LEAST_ONCE);

        Mqtt5BlockingClient again = newClient(id("sub")); // a fresh client object, like a restarted process
        Mqtt5Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();

        Mqtt5Publish a = receive(received);
        Mqtt5Publish b = receive(received);
        Mqtt5Publish c = receive(received);
        assertEquals(List.of("q1", "q2", "q1b"), List.of(text(a), text(b), text(c)));
        assertEquals(List.of(MqttQos.AT_LEAST_ONCE, MqttQos.EXACTLY_ONCE, MqttQos.AT_LEAST_ONCE),
                List.of(a.getQos(), b.getQos(), c.getQos()));
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void unacknowledgedQos1DeliveryIsResentAfterReconnect() throws Exception {
        HiveMqTcpProxy proxy = new HiveMqTcpProxy(broker.port());
        closeables.add(proxy);
        Mqtt5BlockingClient sub = newClient(id("sub"), proxy.port());
        Mqtt5Publishes firstReceived = sub.publishes(MqttGlobalPublishFilter.ALL, true); // never acknowledged
        sub.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
        subscribe(sub, topic("re"), MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));
        publish(pub, topic("re"), "unacked", MqttQos.AT_LEAST_ONCE);
        assertEquals("unacked", text(receive(firstReceived)));

        proxy.dropAllConnections(); // connection lost before the PUBACK
        Thread.sleep(200);
        Mqtt5BlockingClient again = newClient(id("sub"));
        Mqtt5Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5ConnAck connAck = again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
        assertTrue(connAck.isSessionPresent());

        assertEquals("unacked", text(receive(received)), "unacknowledged QoS 1 message must be re-sent");
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void sessionIsDiscardedAfterSessionExpiryInterval() throws Exception {
        Mqtt5BlockingClient sub = newClient(id("sub"));
        sub.connectWith().cleanStart(true).sessionExpiryInterval(1).send();
        subscribe(sub, topic("x"), MqttQos.AT_LEAST_ONCE);
        sub.disconnect();
        Thread.sleep(2200);

        Mqtt5BlockingClient again = newClient(id("sub")); // a fresh client object, like a restarted process
        Mqtt5Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5ConnAck connAck = again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
        assertFalse(connAck.isSessionPresent(), "session should have expired");
        Mqtt5BlockingClient pub = connected(id("pub"));
        publish(pub, topic("x"), "after-expiry", MqttQos.AT_LEAST_ONCE);
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    @Test
    void cleanStartDiscardsExistingSessionAndItsQueuedMessages() throws Exception {
        Mqtt5BlockingClient sub = persistentSubscriber(id("sub"), topic("x"), MqttQos.AT_LEAST_ONCE);
        sub.disconnect();
        Mqtt5BlockingClient pub = connected(id("pub"));
        publish(pub, topic("x"), "queued", MqttQos.AT_LEAST_ONCE);

        Mqtt5BlockingClient again = newClient(id("sub")); // a fresh client object, like a restarted process
        Mqtt5Publishes received = again.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5ConnAck connAck = again.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
        assertFalse(connAck.isSessionPresent());
        assertNothingReceived(received, ABSENCE_WAIT_MS);
    }

    // ------------------------------------------------------------------------------------------------ wills

    private BlockingQueue<Mqtt5Publish> willObserver(String willTopic) {
        Mqtt5BlockingClient observer = connected(id("obs"));
        BlockingQueue<Mqtt5Publish> queue = new LinkedBlockingQueue<>();
        observer.toAsync().publishes(MqttGlobalPublishFilter.ALL, queue::add);
        subscribe(observer, willTopic, MqttQos.AT_LEAST_ONCE);
        return queue;
    }

    private Mqtt5BlockingClient connectWithWillThroughProxy(HiveMqTcpProxy proxy, String clientId, String willTopic,
                                                           long willDelay, long sessionExpiry) {
        Mqtt5BlockingClient c = newClient(clientId, proxy.port());
        c.connectWith().cleanStart(true).sessionExpiryInterval(sessionExpiry)
                .willPublish().topic(willTopic).payload("gone".getBytes(UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
                .delayInterval(willDelay).applyWillPublish()
                .send();
        return c;
    }

    @Test
    void willIsPublishedWhenConnectionDropsWithoutDisconnect() throws Exception {
        BlockingQueue<Mqtt5Publish> wills = willObserver(topic("will"));
        HiveMqTcpProxy proxy = new HiveMqTcpProxy(broker.port());
        closeables.add(proxy);
        connectWithWillThroughProxy(proxy, id("dev"), topic("will"), 0, 0);

        proxy.dropAllConnections();

        Mqtt5Publish will = receive(wills);
        assertEquals("gone", text(will));
    }

    @Test
    void willIsNotPublishedAfterNormalDisconnect() throws Exception {
        BlockingQueue<Mqtt5Publish> wills = willObserver(topic("will"));
        HiveMqTcpProxy proxy = new HiveMqTcpProxy(broker.port());
        closeables.add(proxy);
        Mqtt5BlockingClient dev = connectWithWillThroughProxy(proxy, id("dev"), topic("will"), 0, 0);

        dev.disconnect();

        assertNothingReceived(wills, 1000);
    }

    @Test
    void delayedWillIsPublishedOnlyAfterWillDelayInterval() throws Exception {
        BlockingQueue<Mqtt5Publish> wills = willObserver(topic("will"));
        HiveMqTcpProxy proxy = new HiveMqTcpProxy(broker.port());
        closeables.add(proxy);
        connectWithWillThroughProxy(proxy, id("dev"), topic("will"), 2, 30);

        long droppedAt = System.nanoTime();
        proxy.dropAllConnections();

        assertNothingReceived(wills, 1200);
        Mqtt5Publish will = receive(wills);
        long elapsedMs = (System.nanoTime() - droppedAt) / 1_000_000;
        assertEquals("gone", text(will));
        assertTrue(elapsedMs >= 1800, "will published after " + elapsedMs + " ms, before the 2 s delay");
    }

    @Test
    void delayedWillIsNotPublishedWhenClientReconnectsWithinDelay() throws Exception {
        BlockingQueue<Mqtt5Publish> wills = willObserver(topic("will"));
        HiveMqTcpProxy proxy = new HiveMqTcpProxy(broker.port());
        closeables.add(proxy);
        connectWithWillThroughProxy(proxy, id("dev"), topic("will"), 2, 30);

        proxy.dropAllConnections();
        Thread.sleep(300);
        Mqtt5BlockingClient again = newClient(id("dev"));
        Mqtt5ConnAck connAck = again.connectWith().cleanStart(false).sessionExpiryInterval(30).send();
        assertTrue(connAck.isSessionPresent());

        assertNothingReceived(wills, 3000);
    }

    @Test
    void willDelayIsCappedBySessionExpiryInterval() throws Exception {
        BlockingQueue<Mqtt5Publish> wills = willObserver(topic("will"));
        HiveMqTcpProxy proxy = new HiveMqTcpProxy(broker.port());
        closeables.add(proxy);
        connectWithWillThroughProxy(proxy, id("dev"), topic("will"), 60, 1);

        proxy.dropAllConnections();

        Mqtt5Publish will = receive(wills); // within 5 s although the will delay is 60 s
        assertEquals("gone", text(will));
    }

    // ------------------------------------------------------------------------------------------------ properties

    @Test
    void userPropertiesArePassedThroughInOrderIncludingDuplicateKeys() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("up"), MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));

        pub.publishWith().topic(topic("up")).payload("x".getBytes(UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
                .userProperties(Mqtt5UserProperties.builder().add("k", "v1").add("a", "b").add("k", "v2").build())
                .send();

        Mqtt5Publish p = receive(received);
        List<String> props = new ArrayList<>();
        for (Mqtt5UserProperty up : p.getUserProperties().asList()) {
            props.add(up.getName() + "=" + up.getValue());
        }
        assertEquals(List.of("k=v1", "a=b", "k=v2"), props);
    }

    @Test
    void contentTypePayloadFormatResponseTopicAndCorrelationDataArePassedThrough() throws Exception {
        Mqtt5BlockingClient sub = connected(id("sub"));
        Mqtt5Publishes received = sub.publishes(MqttGlobalPublishFilter.ALL);
        subscribe(sub, topic("req"), MqttQos.AT_LEAST_ONCE);
        Mqtt5BlockingClient pub = connected(id("pub"));
        byte[] correlation = {0, 1, 2, (byte) 0xFF};

        pub.publishWith().topic(topic("req")).payload("{\"a\":1}".getBytes(UTF_8)).qos(MqttQos.AT_LEAST_ONCE)
                .contentType("application/json")
                .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
                .responseTopic(topic("resp"))
                .correlationData(correlation)
                .send();

        Mqtt5Publish p = receive(received);
        assertEquals(Optional.of("application/json"), p.getContentType().map(Object::toString));
        assertEquals(Optional.of(Mqtt5PayloadFormatIndicator.UTF_8), p.getPayloadFormatIndicator());
        assertEquals(Optional.of(topic("resp")), p.getResponseTopic().map(Object::toString));
        ByteBuffer cd = p.getCorrelationData().orElseThrow(() -> new AssertionError("no correlation data"));
        byte[] cdBytes = new byte[cd.remaining()];
        cd.duplicate().get(cdBytes);
        assertArrayEquals(correlation, cdBytes);
    }

    // ------------------------------------------------------------------------------------------------ keep alive

    @Test
    void serverKeepAliveCapsRequestedKeepAliveToConfiguredMaximum() {
        Mqtt5BlockingClient c = newClient(id("ka"));

        Mqtt5ConnAck connAck = c.connectWith().keepAlive(120).send();

        assertEquals(OptionalInt.of(60), connAck.getServerKeepAlive());
    }

    @Test
    void keepAliveBelowConfiguredMaximumIsAccepted() {
        Mqtt5BlockingClient c = newClient(id("ka"));

        Mqtt5ConnAck connAck = c.connectWith().keepAlive(30).send();

        // either no Server Keep Alive property, or one that echoes the requested value
        assertTrue(connAck.getServerKeepAlive().isEmpty() || connAck.getServerKeepAlive().getAsInt() == 30,
                "Server Keep Alive " + connAck.getServerKeepAlive());
    }
}
