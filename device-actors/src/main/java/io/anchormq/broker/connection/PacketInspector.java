package io.anchormq.broker.connection;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Sits in front of Netty's MQTT decoder, cuts the stream into whole packets and checks what that decoder lets
 * through: the exact packet size limit (MQTT 5 counts the whole packet, the decoder only the remaining length),
 * well-formed UTF-8 in client ids, topic names, topic filters and string properties (MQTT-1.5.3-1), reserved
 * subscription option bits (MQTT-3.8.3-5), and properties given twice (MQTT 5 §2.2.2.2). A packet that fails is
 * replaced by an invalid message for the connection handler, and the rest of the input is discarded.
 */
final class PacketInspector extends ByteToMessageDecoder {

    /** A well-framed packet that breaks a protocol rule (as opposed to a malformed one). */
    static final class ProtocolViolation extends DecoderException {
        ProtocolViolation(String message) {
            super(message);
        }
    }

    static final AttributeKey<MqttVersion> CODEC_VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");

    private static final int CONNECT = 1;
    private static final int PUBLISH = 3;
    private static final int SUBSCRIBE = 8;
    private static final int UNSUBSCRIBE = 10;

    private final int maxPacketSize;
    private boolean v5;
    private boolean failed;

    PacketInspector(int maxPacketSize) {
        this.maxPacketSize = maxPacketSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable < 2) {
            return;
        }
        int remaining = 0;
        int multiplier = 1;
        int headerLength = 1;
        while (true) {
            if (headerLength >= readable) {
                return;
            }
            int digit = in.getUnsignedByte(start + headerLength);
            headerLength++;
            remaining += (digit & 0x7F) * multiplier;
            if ((digit & 0x80) == 0) {
                break;
            }
            if (headerLength == 5) {
                fail(ctx, in, out, new DecoderException("remaining length longer than 4 bytes"));
                return;
            }
            multiplier *= 128;
        }
        long packetSize = (long) headerLength + remaining;
        if (packetSize > maxPacketSize) {
            // refused as soon as the header announces it, before any of the body is buffered
            fail(ctx, in, out, new TooLongFrameException("packet of " + packetSize + " bytes exceeds " + maxPacketSize));
            return;
        }
        if (readable < packetSize) {
            return;
        }
        int type = in.getUnsignedByte(start) >> 4;
        int flags = in.getUnsignedByte(start) & 0x0F;
        try {
            inspect(ctx, type, flags, in.slice(start + headerLength, remaining));
        } catch (IndexOutOfBoundsException e) {
            // fields run past the packet's end: leave the detailed verdict to the codec
        } catch (DecoderException e) {
            fail(ctx, in, out, e);
            return;
        }
        out.add(in.readRetainedSlice((int) packetSize));
    }

    private void fail(ChannelHandlerContext ctx, ByteBuf in, List<Object> out, DecoderException cause) {
        failed = true;
        in.skipBytes(in.readableBytes());
        out.add(MqttMessageFactory.newInvalidMessage(cause));
    }

    private void inspect(ChannelHandlerContext ctx, int type, int flags, ByteBuf body) {
        switch (type) {
            case CONNECT -> inspectConnect(ctx, body);
            case PUBLISH -> {
                checkUtf8(body, "topic name");
                if (((flags >> 1) & 3) > 0) {
                    body.skipBytes(2);
                }
                if (v5) {
                    checkProperties(body);
                }
            }
            case SUBSCRIBE -> {
                body.skipBytes(2);
                if (v5) {
                    checkProperties(body);
                }
                while (body.isReadable()) {
                    checkUtf8(body, "topic filter");
                    int options = body.readUnsignedByte();
                    int reserved = v5 ? options & 0xC0 : options & 0xFC;
                    if (reserved != 0 || (v5 && (options & 0x30) == 0x30)) {
                        throw new DecoderException("reserved subscription option bits set: 0x"
                                + Integer.toHexString(options));
                    }
                }
            }
            case UNSUBSCRIBE -> {
                body.skipBytes(2);
                if (v5) {
                    checkProperties(body);
                }
                while (body.isReadable()) {
                    checkUtf8(body, "topic filter");
                }
            }
            default -> {
                // other packets carry no strings the codec does not check
            }
        }
    }

    private void inspectConnect(ChannelHandlerContext ctx, ByteBuf body) {
        int nameLength = body.readUnsignedShort();
        body.skipBytes(nameLength);
        int level = body.readUnsignedByte();
        v5 = level == 5;
        if (v5) {
            ctx.channel().attr(CODEC_VERSION).set(MqttVersion.MQTT_5);
        }
        body.skipBytes(3); // flags, keep alive
        if (v5) {
            checkProperties(body);
        }
        checkUtf8(body, "client identifier");
    }

    private static void checkProperties(ByteBuf body) {
        int length = readVariableInt(body);
        ByteBuf props = body.readSlice(length);
        long seen = 0; // bit per property id below 64; all defined ids are below 0x2B
        while (props.isReadable()) {
            int id = readVariableInt(props);
            if (id >= 64) {
                throw new DecoderException("unknown property 0x" + Integer.toHexString(id));
            }
            if (id != 0x26 && id != 0x0B && (seen & (1L << id)) != 0) {
                throw new ProtocolViolation("property 0x" + Integer.toHexString(id) + " included more than once");
            }
            seen |= 1L << id;
            switch (id) {
                case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> props.skipBytes(1);
                case 0x13, 0x21, 0x22, 0x23 -> props.skipBytes(2);
                case 0x02, 0x11, 0x18, 0x27 -> props.skipBytes(4);
                case 0x0B -> readVariableInt(props);
                case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> checkUtf8(props, "string property");
                case 0x26 -> {
                    checkUtf8(props, "user property name");
                    checkUtf8(props, "user property value");
                }
                case 0x09, 0x16 -> props.skipBytes(props.readUnsignedShort());
                default -> throw new DecoderException("unknown property 0x" + Integer.toHexString(id));
            }
        }
    }

    private static int readVariableInt(ByteBuf buf) {
        int value = 0;
        int multiplier = 1;
        for (int i = 0; i < 4; i++) {
            int digit = buf.readUnsignedByte();
            value += (digit & 0x7F) * multiplier;
            if ((digit & 0x80) == 0) {
                return value;
            }
            multiplier *= 128;
        }
        throw new DecoderException("variable byte integer longer than 4 bytes");
    }

    /** Reads a length-prefixed string and rejects ill-formed UTF-8 and U+0000. */
    private static void checkUtf8(ByteBuf buf, String what) {
        int length = buf.readUnsignedShort();
        ByteBuf bytes = buf.readSlice(length);
        boolean ascii = true;
        for (int i = 0; i < length; i++) {
            byte b = bytes.getByte(i);
            if (b == 0) {
                throw new DecoderException(what + " contains U+0000");
            }
            ascii &= b > 0;
        }
        if (ascii) {
            return;
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer nio = bytes.nioBufferCount() == 1 ? bytes.nioBuffer() : ByteBuffer.wrap(toArray(bytes));
            decoder.decode(nio);
        } catch (CharacterCodingException e) {
            throw new DecoderException(what + " is not well-formed UTF-8");
        }
    }

    private static byte[] toArray(ByteBuf bytes) {
        byte[] array = new byte[bytes.readableBytes()];
        bytes.getBytes(bytes.readerIndex(), array);
        return array;
    }
}
