package io.anchormq.bench.loadgen;

import io.netty.buffer.ByteBuf;

/**
 * What every payload starts with: the send time ({@link System#nanoTime()}, comparable because publishers and
 * subscribers share one process), the publisher's index and its 64-bit sequence number. The rest is padding.
 */
final class Stamp {

    static final int SIZE = 8 + 4 + 8;

    private Stamp() {
    }

    /** Stamps a payload already in {@code buf} at {@code index} (the padding after the stamp is left as it is). */
    static void set(ByteBuf buf, int index, long sendNanos, int publisher, long sequence) {
        buf.setLong(index, sendNanos).setInt(index + 8, publisher).setLong(index + 12, sequence);
    }

    /** The send time of the payload at {@code index} in {@code buf}. */
    static long sendNanos(ByteBuf buf, int index) {
        return buf.getLong(index);
    }

    static int publisher(ByteBuf buf, int index) {
        return buf.getInt(index + 8);
    }

    static long sequence(ByteBuf buf, int index) {
        return buf.getLong(index + 12);
    }
}
