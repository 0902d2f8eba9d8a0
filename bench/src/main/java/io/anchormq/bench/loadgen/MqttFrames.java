package io.anchormq.bench.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits what the broker sends into MQTT packets. The packets every message makes (PUBLISH, PUBACK, PUBREC,
 * PUBREL, PUBCOMP) go to the client where they lie in the buffer: decoding each into a Netty message (a topic
 * string, headers, a payload slice, a pass down the pipeline) cost more than everything the client does with it.
 * Every other packet (CONNACK, SUBACK, PINGRESP, DISCONNECT) goes on as a frame of its own to Netty's MqttDecoder.
 * One packet per {@link #decode} call, so that the frames passed on stay in order with the packets handled here.
 */
final class MqttFrames extends ByteToMessageDecoder {

    static final int PUBLISH = 3;
    static final int PUBREL = 6;
    static final int PUBCOMP = 7;
    /** What {@link #variableByteInteger} returns for an integer not all there yet, and for one of over 4 bytes. */
    static final long INCOMPLETE = -1;
    static final long MALFORMED = -2;

    private final BenchClient client;
    private final int maxPacketSize;
    private boolean broken;

    MqttFrames(BenchClient client, int maxPacketSize) {
        this.client = client;
        this.maxPacketSize = maxPacketSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (broken) {
            in.skipBytes(in.readableBytes());
            return;
        }
        int start = in.readerIndex();
        int end = in.writerIndex();
        if (end - start < 2) {
            return;
        }
        long length = variableByteInteger(in, start + 1, end);
        if (length == INCOMPLETE) {
            return;
        }
        if (length == MALFORMED) {
            malformed(in, "remaining length longer than 4 bytes");
            return;
        }
        int remaining = value(length);
        int body = start + 1 + bytes(length);
        if (remaining > maxPacketSize) {
            malformed(in, "packet of " + remaining + " bytes, above " + maxPacketSize);
            return;
        }
        if (end - body < remaining) {
            return;
        }
        int first = in.getUnsignedByte(start);
        int type = first >> 4;
        if (type >= PUBLISH && type <= PUBCOMP) {
            in.readerIndex(body + remaining);
            String problem = client.onPacket(first, in, body, remaining);
            if (problem != null) {
                broken = true;
                client.malformed(problem);
            }
        } else {
            out.add(in.readRetainedSlice(body + remaining - start));
        }
    }

    private void malformed(ByteBuf in, String problem) {
        broken = true;
        in.skipBytes(in.readableBytes());
        client.malformed(problem);
    }

    /**
     * An MQTT variable byte integer (7 bits a byte, least significant first, at most 4 bytes) at {@code at}: its value
     * and its length in bytes, packed for {@link #value} and {@link #bytes}; {@link #INCOMPLETE} when it runs past
     * {@code end}, {@link #MALFORMED} when longer than 4 bytes.
     */
    static long variableByteInteger(ByteBuf buf, int at, int end) {
        int value = 0;
        for (int i = 0; i < 4; i++) {
            if (at + i >= end) {
                return INCOMPLETE;
            }
            int digit = buf.getUnsignedByte(at + i);
            value |= (digit & 0x7F) << (7 * i);
            if ((digit & 0x80) == 0) {
                return (long) (i + 1) << 32 | value;
            }
        }
        return MALFORMED;
    }

    static int value(long variableByteInteger) {
        return (int) variableByteInteger;
    }

    static int bytes(long variableByteInteger) {
        return (int) (variableByteInteger >>> 32);
    }
}
