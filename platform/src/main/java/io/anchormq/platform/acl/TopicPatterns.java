package io.anchormq.platform.acl;

/** Relations between two topic filters that ACL rules need: one covering the other, and the two overlapping. */
final class TopicPatterns {

    private TopicPatterns() {
    }

    /** Whether every topic {@code inner} matches is matched by {@code outer}. */
    static boolean covers(String outer, String inner) {
        String[] o = outer.split("/", -1);
        String[] n = inner.split("/", -1);
        for (int i = 0; i < o.length; i++) {
            if (o[i].equals("#")) {
                return true; // matches the parent level and everything below it
            }
            if (i >= n.length) {
                return false;
            }
            if (n[i].equals("#")) {
                return false;
            }
            if (!o[i].equals("+") && !o[i].equals(n[i])) {
                return false; // a literal of outer against another literal, or against inner's "+"
            }
        }
        return o.length == n.length;
    }

    /** Whether some topic is matched by both filters. */
    static boolean overlap(String a, String b) {
        String[] x = a.split("/", -1);
        String[] y = b.split("/", -1);
        int i = 0;
        for (; i < x.length && i < y.length; i++) {
            if (x[i].equals("#") || y[i].equals("#")) {
                return true;
            }
            if (!x[i].equals("+") && !y[i].equals("+") && !x[i].equals(y[i])) {
                return false;
            }
        }
        if (x.length == y.length) {
            return true;
        }
        // one filter is longer: it still meets the other only through a final "#" matching the parent level
        String[] longer = x.length > y.length ? x : y;
        return longer.length == i + 1 && longer[i].equals("#");
    }
}
