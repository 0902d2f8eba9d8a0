package io.anchormq.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.anchormq.broker.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class TopicRouterTest {

    static final class Recorder implements Subscriber {
        final String id;
        volatile boolean online = true;
        final List<Delivery> got = new CopyOnWriteArrayList<>();

        Recorder(String id) {
            this.id = id;
        }

        @Override
        public String clientId() {
            return id;
        }

        @Override
        public boolean isOnline() {
            return online;
        }

        @Override
        public void deliver(Delivery delivery) {
            got.add(delivery);
        }
    }

    static Subscription sub(String filter, int qos) {
        return new Subscription(null, filter, qos, false, false, 0, 0);
    }

    static Message msg(String topic, int qos, String publisher) {
        return new Message(topic, qos, false, new byte[] {1}, List.of(), publisher, Message.NEVER);
    }

    @Test
    void overlappingSubscriptionsGiveOneDeliveryAtHighestQosWithAllIdentifiers() {
        TopicRouter router = new TopicRouter();
        Recorder a = new Recorder("a");
        router.subscribe(a, new Subscription(null, "TopicA/#", 2, false, false, 0, 7));
        router.subscribe(a, new Subscription(null, "TopicA/+", 1, false, false, 0, 9));
        assertEquals(1, router.route(msg("TopicA/C", 2, "p")));
        assertEquals(1, a.got.size());
        assertEquals(2, a.got.get(0).qos());
        assertEquals(List.of(7, 9), a.got.get(0).subscriptionIds().stream().sorted().toList());
    }

    @Test
    void qosIsDowngradedToTheGrantedQos() {
        TopicRouter router = new TopicRouter();
        Recorder a = new Recorder("a");
        router.subscribe(a, sub("x", 1));
        router.route(msg("x", 2, "p"));
        assertEquals(1, a.got.get(0).qos());
    }

    @Test
    void noLocalSkipsThePublishersOwnSubscription() {
        TopicRouter router = new TopicRouter();
        Recorder a = new Recorder("a");
        router.subscribe(a, new Subscription(null, "x", 1, true, false, 0, 0));
        assertEquals(0, router.route(msg("x", 1, "a")));
        assertEquals(1, router.route(msg("x", 1, "b")));
    }

    @Test
    void sharedGroupDeliversEachMessageToExactlyOneMemberRoundRobin() {
        TopicRouter router = new TopicRouter();
        Recorder a = new Recorder("a");
        Recorder b = new Recorder("b");
        router.subscribe(a, new Subscription("g", "s/+", 1, false, false, 0, 0));
        router.subscribe(b, new Subscription("g", "s/+", 1, false, false, 0, 0));
        for (int i = 0; i < 10; i++) {
            assertEquals(1, router.route(msg("s/" + i, 1, "p")));
        }
        assertEquals(10, a.got.size() + b.got.size());
        assertEquals(5, a.got.size());
        assertTrue(a.got.get(0).isShared());
    }

    @Test
    void sharedGroupPrefersOnlineMembersAndRedispatchesToTheOthers() {
        TopicRouter router = new TopicRouter();
        Recorder a = new Recorder("a");
        Recorder b = new Recorder("b");
        router.subscribe(a, new Subscription("g", "s", 1, false, false, 0, 0));
        router.subscribe(b, new Subscription("g", "s", 1, false, false, 0, 0));
        b.online = false;
        for (int i = 0; i < 4; i++) {
            router.route(msg("s", 1, "p"));
        }
        assertEquals(4, a.got.size());
        assertEquals(0, b.got.size());
        assertFalse(router.redispatchShared(a.got.get(0), "a", true), "b is offline");
        assertTrue(router.redispatchShared(a.got.get(0), "a", false));
        assertEquals(1, b.got.size());
    }

    @Test
    void unsubscribeStopsDeliveryAndPrunesTheTrie() {
        TopicRouter router = new TopicRouter();
        Recorder a = new Recorder("a");
        router.subscribe(a, sub("a/b/c", 0));
        assertTrue(router.unsubscribe("a", null, "a/b/c"));
        assertFalse(router.unsubscribe("a", null, "a/b/c"));
        assertEquals(0, router.route(msg("a/b/c", 0, "p")));
        assertEquals(0, router.subscriptionCount());
    }

    /** Property check: the trie agrees with the reference matcher on random filters and topics. */
    @Test
    void trieAgreesWithTheMatcherOnRandomFiltersAndTopics() {
        Random random = new Random(42);
        String[] words = {"a", "b", "c", "$SYS", ""};
        for (int round = 0; round < 200; round++) {
            TopicRouter router = new TopicRouter();
            List<String> filters = new ArrayList<>();
            List<Recorder> recorders = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String f = randomFilter(random, words);
                if (TopicFilter.parse(f) == null) {
                    continue;
                }
                Recorder r = new Recorder("c" + i);
                router.subscribe(r, sub(f, 0));
                filters.add(f);
                recorders.add(r);
            }
            String topic = randomTopic(random, words);
            router.route(msg(topic, 0, "p"));
            for (int i = 0; i < filters.size(); i++) {
                boolean expected = TopicFilter.matches(filters.get(i), topic);
                assertEquals(expected ? 1 : 0, recorders.get(i).got.size(), filters.get(i) + " vs " + topic);
            }
        }
    }

    /**
     * Property check for overlaps: a few sessions with many filters each, some No Local, all with identifiers. Each
     * session that any eligible filter matches gets exactly one delivery, at the highest matching QoS, with the
     * identifiers of every eligible matching filter.
     */
    @Test
    void overlappingSessionsGetOneDeliveryWithEveryMatchingIdentifier() {
        Random random = new Random(7);
        String[] words = {"a", "b", "c", ""};
        for (int round = 0; round < 300; round++) {
            TopicRouter router = new TopicRouter();
            List<Recorder> sessions = List.of(new Recorder("s0"), new Recorder("s1"), new Recorder("s2"));
            List<List<Subscription>> subscriptions = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            int id = 1;
            for (int i = 0; i < 12; i++) {
                String f = randomFilter(random, words);
                int s = random.nextInt(sessions.size());
                if (TopicFilter.parse(f) == null
                        || subscriptions.get(s).stream().anyMatch(x -> x.filter().equals(f))) {
                    continue;
                }
                Subscription sub = new Subscription(null, f, random.nextInt(3), random.nextInt(4) == 0, false, 0, id++);
                router.subscribe(sessions.get(s), sub);
                subscriptions.get(s).add(sub);
            }
            String topic = randomTopic(random, words);
            String publisher = "s" + random.nextInt(4);
            router.route(msg(topic, 2, publisher));
            for (int s = 0; s < sessions.size(); s++) {
                String clientId = "s" + s;
                List<Subscription> eligible = subscriptions.get(s).stream()
                        .filter(x -> TopicFilter.matches(x.filter(), topic))
                        .filter(x -> !(x.noLocal() && clientId.equals(publisher)))
                        .toList();
                List<Delivery> got = sessions.get(s).got;
                assertEquals(eligible.isEmpty() ? 0 : 1, got.size(), clientId + " on " + topic + " of " + publisher);
                if (!eligible.isEmpty()) {
                    assertEquals(eligible.stream().mapToInt(Subscription::qos).max().getAsInt(), got.get(0).qos());
                    assertEquals(eligible.stream().map(Subscription::subscriptionId).sorted().toList(),
                            got.get(0).subscriptionIds().stream().sorted().toList());
                }
            }
        }
    }

    @Test
    void levelsKeepEmptyLevels() {
        assertEquals(List.of("", "a", "", "b", ""), List.of(TopicRouter.levels("/a//b/")));
        assertEquals(List.of(""), List.of(TopicRouter.levels("")));
        assertEquals(List.of("a"), List.of(TopicRouter.levels("a")));
    }

    private static String randomFilter(Random r, String[] words) {
        int levels = 1 + r.nextInt(3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            if (i > 0) {
                sb.append('/');
            }
            int k = r.nextInt(7);
            sb.append(k == 5 ? "+" : k == 6 && i == levels - 1 ? "#" : words[r.nextInt(words.length)]);
        }
        return sb.toString();
    }

    private static String randomTopic(Random r, String[] words) {
        int levels = 1 + r.nextInt(3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            if (i > 0) {
                sb.append('/');
            }
            sb.append(words[r.nextInt(words.length)]);
        }
        return sb.toString();
    }
}
