package io.anchormq.broker.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicFilterTest {

    @ParameterizedTest
    @CsvSource({
        "sport/tennis/player1/#, sport/tennis/player1, true",
        "sport/tennis/player1/#, sport/tennis/player1/ranking, true",
        "sport/tennis/player1/#, sport/tennis/player1/score/wimbledon, true",
        "sport/#, sport, true",
        "#, sport/tennis, true",
        "sport/tennis/+, sport/tennis/player1, true",
        "sport/tennis/+, sport/tennis/player1/ranking, false",
        "sport/+, sport, false",
        "sport/+, sport/, true",
        "+/+, /finance, true",
        "/+, /finance, true",
        "+, /finance, false",
        "+/C, Topic/C, true",
        "TopicA/+, TopicA/B, true",
        "a/b, a/b, true",
        "a/b, a/c, false",
        "a/b, a/bc, false",
        "a/#, ab, false",
        "#, $SYS/x, false",
        "+/monitor/Clients, $SYS/monitor/Clients, false",
        "$SYS/#, $SYS/monitor/Clients, true",
        "$SYS/monitor/+, $SYS/monitor/Clients, true",
    })
    void matchesPerSpecExamples(String filter, String topic, boolean expected) {
        assertEquals(expected, TopicFilter.matches(filter, topic), filter + " vs " + topic);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/#/b", "a+", "#a", "a/b#", "+a/b", "", "$share/g", "$share//a", "$share/g+/a", "$share/g/"})
    void rejectsInvalidFilters(String filter) {
        assertNull(TopicFilter.parse(filter));
    }

    @Test
    void parsesSharedSubscriptions() {
        TopicFilter.Parsed p = TopicFilter.parse("$share/group1/sensors/+/temp");
        assertEquals("group1", p.shareGroup());
        assertEquals("sensors/+/temp", p.filter());
        assertTrue(p.isShared());
        assertFalse(TopicFilter.parse("sensors/#").isShared());
    }

    @Test
    void topicNamesRejectWildcardsNulAndMalformedUtf8() {
        assertTrue(TopicFilter.isValidTopicName("a/b c/d"));
        assertFalse(TopicFilter.isValidTopicName("a/+"));
        assertFalse(TopicFilter.isValidTopicName("a/#"));
        assertFalse(TopicFilter.isValidTopicName(""));
        assertFalse(TopicFilter.isValidTopicName("a\u0000b"));
        assertFalse(TopicFilter.isValidTopicName("a\uFFFDb"));
    }
}
