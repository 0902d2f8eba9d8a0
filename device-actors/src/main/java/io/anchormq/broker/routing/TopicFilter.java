package io.anchormq.broker.routing;

/**
 * Topic name and topic filter rules of MQTT 3.1.1 §4.7 and MQTT 5.0 §4.7–4.8, including shared subscriptions
 * ({@code $share/{ShareName}/{filter}}).
 */
public final class TopicFilter {

    private static final String SHARE_PREFIX = "$share/";

    private TopicFilter() {
    }

    /** A parsed subscription filter: {@code shareGroup} is null for an ordinary subscription. */
    public record Parsed(String shareGroup, String filter) {
        public boolean isShared() {
            return shareGroup != null;
        }
    }

    /** Parses and validates a subscription filter; returns null when it is not a valid filter. */
    public static Parsed parse(String raw) {
        if (raw == null || raw.isEmpty() || !isWellFormedText(raw)) {
            return null;
        }
        String group = null;
        String filter = raw;
        if (raw.startsWith(SHARE_PREFIX)) {
            int slash = raw.indexOf('/', SHARE_PREFIX.length());
            if (slash < 0) {
                return null;
            }
            group = raw.substring(SHARE_PREFIX.length(), slash);
            filter = raw.substring(slash + 1);
            if (group.isEmpty() || group.indexOf('+') >= 0 || group.indexOf('#') >= 0 || filter.isEmpty()) {
                return null;
            }
        }
        return isValidFilter(filter) ? new Parsed(group, filter) : null;
    }

    static boolean isValidFilter(String filter) {
        int len = filter.length();
        for (int i = 0; i < len; i++) {
            char c = filter.charAt(i);
            if (c == '+') {
                // '+' must occupy an entire level
                if ((i > 0 && filter.charAt(i - 1) != '/') || (i + 1 < len && filter.charAt(i + 1) != '/')) {
                    return false;
                }
            } else if (c == '#') {
                // '#' must be the last character and occupy an entire level
                if (i != len - 1 || (i > 0 && filter.charAt(i - 1) != '/')) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A topic name a client may publish to: non-empty, no wildcards, well-formed text. */
    public static boolean isValidTopicName(String topic) {
        if (topic == null || topic.isEmpty() || !isWellFormedText(topic)) {
            return false;
        }
        return topic.indexOf('+') < 0 && topic.indexOf('#') < 0;
    }

    /**
     * Rejects U+0000 (forbidden by both standards) and U+FFFD, which is what the codec's decoder produces for
     * ill-formed UTF-8 such as overlong forms or encoded surrogates (MQTT-1.5.3-1).
     */
    public static boolean isWellFormedText(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\u0000' || c == '\uFFFD') {
                return false;
            }
        }
        return true;
    }

    public static boolean hasWildcard(String filter) {
        return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
    }

    /** Whether {@code filter} (without share prefix) matches {@code topic}. */
    public static boolean matches(String filter, String topic) {
        if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) {
            return false;
        }
        int f = 0;
        int t = 0;
        int flen = filter.length();
        int tlen = topic.length();
        while (f < flen) {
            char fc = filter.charAt(f);
            if (fc == '#') {
                return true;
            }
            if (fc == '+') {
                while (t < tlen && topic.charAt(t) != '/') {
                    t++;
                }
                f++;
            } else {
                if (t >= tlen || topic.charAt(t) != fc) {
                    // "a/#" also matches "a": the filter's "/#" may stand for nothing
                    return t == tlen && f + 1 < flen && fc == '/' && filter.charAt(f + 1) == '#'
                            && f + 2 == flen;
                }
                f++;
                t++;
            }
        }
        return t == tlen;
    }
}
