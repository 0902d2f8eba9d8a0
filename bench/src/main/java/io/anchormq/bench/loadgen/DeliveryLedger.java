package io.anchormq.bench.loadgen;

import io.netty.util.collection.IntObjectHashMap;
import java.util.BitSet;
import java.util.function.ToLongFunction;

/**
 * Which sequence numbers each sink has received from each publisher. A sink is what must get every message once:
 * a subscriber, or a whole shared-subscription group. From it come lost (sent, never received), duplicated
 * (received again) and out-of-order (received after a higher sequence number of the same publisher) counts.
 */
final class DeliveryLedger {

    /** What a sink made of one received message. */
    enum Outcome { IN_ORDER, OUT_OF_ORDER, DUPLICATE, MISROUTED }

    private static final class Stream {
        final BitSet seen = new BitSet();
        long highest = -1;
        long distinct;
    }

    private static final class Sink {
        final IntObjectHashMap<Stream> streams = new IntObjectHashMap<>();
        long duplicates;
        long outOfOrder;
        long misrouted;
    }

    private final Sink[] sinks;

    /** @param publishersOfSink for each sink, the publishers whose every message it must receive */
    DeliveryLedger(int[][] publishersOfSink) {
        sinks = new Sink[publishersOfSink.length];
        for (int s = 0; s < sinks.length; s++) {
            sinks[s] = new Sink();
            for (int p : publishersOfSink[s]) {
                sinks[s].streams.put(p, new Stream());
            }
        }
    }

    Outcome record(int sink, int publisher, long sequence) {
        Sink s = sinks[sink];
        // a shared group's members record from several event loops; otherwise the lock is never contended
        synchronized (s) {
            Stream stream = s.streams.get(publisher);
            if (stream == null || sequence < 0 || sequence > Integer.MAX_VALUE) {
                s.misrouted++;
                return Outcome.MISROUTED;
            }
            int seq = (int) sequence;
            if (stream.seen.get(seq)) {
                s.duplicates++;
                return Outcome.DUPLICATE;
            }
            stream.seen.set(seq);
            stream.distinct++;
            if (seq < stream.highest) {
                s.outOfOrder++;
                return Outcome.OUT_OF_ORDER;
            }
            stream.highest = seq;
            return Outcome.IN_ORDER;
        }
    }

    /** Messages that should have arrived and have not, given how many each publisher sent. */
    long missing(long[] sentByPublisher) {
        return sum(s -> {
            long missing = 0;
            for (IntObjectHashMap.PrimitiveEntry<Stream> e : s.streams.entries()) {
                missing += Math.max(0, sentByPublisher[e.key()] - e.value().distinct);
            }
            return missing;
        });
    }

    /** Messages the sinks should receive in all, given how many each publisher sent. */
    long expected(long[] sentByPublisher) {
        return sum(s -> {
            long n = 0;
            for (IntObjectHashMap.PrimitiveEntry<Stream> e : s.streams.entries()) {
                n += sentByPublisher[e.key()];
            }
            return n;
        });
    }

    long distinct() {
        return sum(s -> {
            long n = 0;
            for (Stream stream : s.streams.values()) {
                n += stream.distinct;
            }
            return n;
        });
    }

    long duplicates() {
        return sum(s -> s.duplicates);
    }

    long outOfOrder() {
        return sum(s -> s.outOfOrder);
    }

    long misrouted() {
        return sum(s -> s.misrouted);
    }

    /** The sum over all sinks, each read under its lock. */
    private long sum(ToLongFunction<Sink> count) {
        long n = 0;
        for (Sink s : sinks) {
            synchronized (s) {
                n += count.applyAsLong(s);
            }
        }
        return n;
    }
}
