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

    static void write(ByteBuf out, long sendNanos, int publisher, long sequence, int payloadSize) {
        out.writeLong(sendNanos).writeInt(publisher).writeLong(sequence).writeZero(payloadSize - SIZE);
    }

    static long sendNanos(ByteBuf payload) {
        return payload.getLong(payload.readerIndex());
    }

    static int publisher(ByteBuf payload) {
        return payload.getInt(payload.readerIndex() + 8);
    }

    static long sequence(ByteBuf payload) {
        return payload.getLong(payload.readerIndex() + 12);
    }
}
