package io.anchormq.platform.testsupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;

/**
 * A deliberately dumb, blocking MQTT test client on a plain {@link Socket}: it sends exactly the bytes it is told to
 * (hand-built packets or raw garbage) and decodes whatever the server sends back, without any validation, retries or
 * automatic acknowledgements. Meant for testing a broker against malformed and hostile input.
 *
 * <p>Encoding: static methods ({@link #publish}, {@link #subscribe}, {@link #ack}, ..., and the {@link Connect} and
 * {@link Publish} builders) return complete packets as byte arrays, so they can also be mutated or concatenated before
 * sending. Decoding: {@link #poll}, {@link #expectPacket}, {@link #expectClosed}, {@link #expectNothing}. Incoming
 * packets are decoded in the protocol version of the last CONNECT sent through {@link #send(Connect)} (or set by
 * {@link #protocolVersion(int)}); MQTT 5 reason codes and properties are decoded for CONNACK, PUBLISH, PUBACK, PUBREC,
 * PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT and AUTH.
 *
 * <p>Not thread-safe; one thread per client.
 */
public final class RawMqttClient implements AutoCloseable {

    // ---------------------------------------------------------------------------------------------- packet types
    public static final int CONNECT = 1;
    public static final int CONNACK = 2;
    public static final int PUBLISH = 3;
    public static final int PUBACK = 4;
    public static final int PUBREC = 5;
    public static final int PUBREL = 6;
    public static final int PUBCOMP = 7;
    public static final int SUBSCRIBE = 8;
    public static final int SUBACK = 9;
    static final int UNSUBSCRIBE = 10;
    static final int UNSUBACK = 11;
    static final int PINGREQ = 12;
    public static final int PINGRESP = 13;
    public static final int DISCONNECT = 14;
    static final int AUTH = 15;

    /** Protocol level byte of MQTT 3.1.1. */
    public static final int V3_1_1 = 4;
    /** Protocol level byte of MQTT 5.0. */
    public static final int V5 = 5;

    // ------------------------------------------------------------------------------------------ property identifiers
    public static final int PAYLOAD_FORMAT_INDICATOR = 0x01;
    public static final int MESSAGE_EXPIRY_INTERVAL = 0x02;
    public static final int CONTENT_TYPE = 0x03;
    public static final int RESPONSE_TOPIC = 0x08;
    public static final int CORRELATION_DATA = 0x09;
    public static final int SUBSCRIPTION_IDENTIFIER = 0x0B;
    public static final int SESSION_EXPIRY_INTERVAL = 0x11;
    public static final int ASSIGNED_CLIENT_IDENTIFIER = 0x12;
    public static final int SERVER_KEEP_ALIVE = 0x13;
    static final int AUTHENTICATION_METHOD = 0x15;
    static final int AUTHENTICATION_DATA = 0x16;
    public static final int REQUEST_PROBLEM_INFORMATION = 0x17;
    public static final int WILL_DELAY_INTERVAL = 0x18;
    static final int REQUEST_RESPONSE_INFORMATION = 0x19;
    static final int RESPONSE_INFORMATION = 0x1A;
    static final int SERVER_REFERENCE = 0x1C;
    public static final int REASON_STRING = 0x1F;
    public static final int RECEIVE_MAXIMUM = 0x21;
    public static final int TOPIC_ALIAS_MAXIMUM = 0x22;
    public static final int TOPIC_ALIAS = 0x23;
    static final int MAXIMUM_QOS = 0x24;
    static final int RETAIN_AVAILABLE = 0x25;
    static final int USER_PROPERTY = 0x26;
    public static final int MAXIMUM_PACKET_SIZE = 0x27;
    static final int WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28;
    static final int SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29;
    static final int SHARED_SUBSCRIPTION_AVAILABLE = 0x2A;

    /** Default wait used by the convenience methods that take no timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private byte[] buffer = new byte[8192];
    private int buffered;
    private boolean closedByPeer;
    private boolean resetByPeer;
    private int protocolVersion = V3_1_1;

    private RawMqttClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Opens a TCP connection to 127.0.0.1:{@code port}. Nothing is sent. */
    public static RawMqttClient open(int port) throws IOException {
        return open("127.0.0.1", port, Duration.ofSeconds(5));
    }

    /** Opens a TCP connection with the given connect timeout. Nothing is sent. */
    static RawMqttClient open(String host, int port, Duration connectTimeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
            return new RawMqttClient(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The underlying socket, e.g. for {@link Socket#shutdownOutput()} or buffer tuning. */
    public Socket socket() {
        return socket;
    }

    /** Protocol level used to decode incoming packets (4 = 3.1.1, 5 = 5.0). */
    public int protocolVersion() {
        return protocolVersion;
    }

    /** Overrides the protocol level used to decode incoming packets. */
    public RawMqttClient protocolVersion(int version) {
        this.protocolVersion = version;
        return this;
    }

    // ============================================================================================== sending

    /** Writes the bytes as they are and flushes. */
    public RawMqttClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends the CONNECT and from now on decodes incoming packets as the CONNECT's protocol version. */
    public RawMqttClient send(Connect connect) throws IOException {
        protocolVersion = connect.protocolLevel == V5 ? V5 : V3_1_1;
        return send(connect.encode());
    }

    /** Sends the PUBLISH (its protocol version is taken from the builder). */
    public RawMqttClient send(Publish publish) throws IOException {
        return send(publish.encode());
    }

    /**
     * Sends a well-formed CONNECT and asserts a CONNACK with return/reason code 0 follows.
     *
     * @return the CONNACK
     */
    public Packet connect(Connect connect) throws IOException {
        send(connect);
        Packet connack = expectPacket(CONNACK, DEFAULT_TIMEOUT);
        assertEquals(0, connack.reasonCode, () -> "CONNACK not successful: " + connack);
        return connack;
    }

    /** Connects with MQTT 3.1.1, clean session, keep alive 0; asserts CONNACK 0x00. */
    public Packet connect311(String clientId) throws IOException {
        return connect(Connect.v311(clientId));
    }

    /** Connects with MQTT 5.0, clean start, keep alive 0, no properties; asserts CONNACK 0x00. */
    public Packet connect5(String clientId) throws IOException {
        return connect(Connect.v5(clientId));
    }

    /**
     * Subscribes to one filter with the given options byte (QoS in the low two bits), no properties, and asserts the
     * SUBACK carries {@code expectedReasonCode}.
     */
    public Packet subscribe(int packetId, String filter, int options, int expectedReasonCode) throws IOException {
        send(subscribe(protocolVersion, packetId, Props.NONE, new Subscription(filter, options)));
        Packet suback = expectPacket(SUBACK, DEFAULT_TIMEOUT);
        assertEquals(packetId, suback.packetId, () -> "SUBACK packet id: " + suback);
        assertEquals(List.of(expectedReasonCode), suback.reasonCodes, () -> "SUBACK reason codes: " + suback);
        return suback;
    }

    /** Sends a normal DISCONNECT (reason 0x00 for 5.0) and closes the socket. */
    public void disconnectAndClose() {
        try {
            send(disconnect(protocolVersion, 0x00, Props.NONE));
        } catch (IOException ignored) {
            // already gone
        }
        close();
    }

    // ============================================================================================== receiving

    /** Signals that the server closed the connection (orderly EOF or TCP reset). */
    static final class ConnectionClosedException extends IOException {
        final boolean reset;

        ConnectionClosedException(boolean reset) {
            super(reset ? "connection reset by peer" : "connection closed by peer (EOF)");
            this.reset = reset;
        }
    }

    /**
     * Waits up to {@code timeout} for the next complete packet.
     *
     * @return the packet, or {@code null} if none completed within the timeout (a partially received packet is kept)
     * @throws ConnectionClosedException if the server closed or reset the connection before a complete packet
     */
    public Packet poll(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Packet packet = tryParse();
            if (packet != null) {
                return packet;
            }
            if (closedByPeer) {
                throw new ConnectionClosedException(resetByPeer);
            }
            long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
            if (remainingMs <= 0) {
                return null;
            }
            if (buffered == buffer.length) {
                buffer = Arrays.copyOf(buffer, buffer.length * 2);
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(remainingMs, Integer.MAX_VALUE)));
            int n;
            try {
                n = in.read(buffer, buffered, buffer.length - buffered);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (SocketException e) {
                // "Connection reset" and friends: the server aborted the connection.
                closedByPeer = true;
                resetByPeer = true;
                continue;
            }
            if (n < 0) {
                closedByPeer = true;
            } else {
                buffered += n;
            }
        }
    }

    /**
     * Asserts that the next packet is of {@code type} and arrives within {@code timeout}.
     *
     * @return the decoded packet
     */
    public Packet expectPacket(int type, Duration timeout) throws IOException {
        Packet packet;
        try {
            packet = poll(timeout);
        } catch (ConnectionClosedException e) {
            throw new AssertionError("expected " + typeName(type) + " but the " + e.getMessage());
        }
        if (packet == null) {
            throw new AssertionError("expected " + typeName(type) + " within " + timeout + " but nothing arrived");
        }
        if (packet.type != type) {
            throw new AssertionError("expected " + typeName(type) + " but received " + packet);
        }
        return packet;
    }

    /** {@link #expectPacket(int, Duration)} with {@link #DEFAULT_TIMEOUT}. */
    public Packet expectPacket(int type) throws IOException {
        return expectPacket(type, DEFAULT_TIMEOUT);
    }

    /**
     * Skips packets until one matches, within {@code timeout}.
     *
     * @return the first matching packet
     */
    public Packet awaitPacket(Predicate<Packet> matcher, String description, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Packet> skipped = new ArrayList<>();
        while (true) {
            long remaining = deadline - System.nanoTime();
            Packet packet;
            try {
                packet = remaining <= 0 ? null : poll(Duration.ofNanos(remaining));
            } catch (ConnectionClosedException e) {
                throw new AssertionError("waiting for " + description + " but the " + e.getMessage()
                        + "; skipped " + skipped);
            }
            if (packet == null) {
                throw new AssertionError("no " + description + " within " + timeout + "; skipped " + skipped);
            }
            if (matcher.test(packet)) {
                return packet;
            }
            skipped.add(packet);
        }
    }

    /** Asserts that the next packet is a DISCONNECT with {@code reasonCode} (MQTT 5). */
    public Packet expectDisconnect(int reasonCode, Duration timeout) throws IOException {
        Packet disconnect = expectPacket(DISCONNECT, timeout);
        assertEquals(hex(reasonCode), hex(disconnect.reasonCode), () -> "DISCONNECT reason code of " + disconnect);
        return disconnect;
    }

    /**
     * Asserts that the next packet is a PUBLISH to {@code topic} with {@code payload}, and acknowledges it if its QoS
     * is 1 (PUBACK) or 2 (PUBREC; the caller continues the QoS 2 flow).
     */
    public Packet expectPublish(String topic, byte[] payload, Duration timeout) throws IOException {
        Packet publish = expectPacket(PUBLISH, timeout);
        assertEquals(topic, publish.topic, () -> "topic of " + publish);
        assertArrayEquals(payload, publish.payload, () -> "payload of " + publish);
        if (publish.qos() == 1) {
            send(ack(PUBACK, protocolVersion, publish.packetId, 0, Props.NONE));
        } else if (publish.qos() == 2) {
            send(ack(PUBREC, protocolVersion, publish.packetId, 0, Props.NONE));
        }
        return publish;
    }

    /**
     * Asserts that the server closes the connection (EOF or reset) within {@code timeout} without sending any
     * further packet.
     */
    public void expectClosed(Duration timeout) throws IOException {
        try {
            Packet packet = poll(timeout);
            if (packet == null) {
                throw new AssertionError("connection still open after " + timeout);
            }
            throw new AssertionError("expected the connection to be closed but received " + packet);
        } catch (ConnectionClosedException expected) {
            // good
        }
    }

    /** {@link #expectClosed(Duration)} with {@link #DEFAULT_TIMEOUT}. */
    void expectClosed() throws IOException {
        expectClosed(DEFAULT_TIMEOUT);
    }

    /**
     * MQTT 5: asserts that the server closes the connection within {@code timeout}, optionally sending one DISCONNECT
     * first whose reason code must then be one of {@code allowedReasonCodes}. No other packet may arrive.
     *
     * @return the DISCONNECT received, or {@code null} if the connection was closed without one
     */
    public Packet expectClosedAfterOptionalDisconnect(Duration timeout, int... allowedReasonCodes) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Packet packet;
        try {
            packet = poll(timeout);
        } catch (ConnectionClosedException closed) {
            return null;
        }
        if (packet == null) {
            throw new AssertionError("connection still open after " + timeout);
        }
        if (packet.type != DISCONNECT || Arrays.stream(allowedReasonCodes).noneMatch(r -> r == packet.reasonCode)) {
            throw new AssertionError("expected close (optionally after DISCONNECT with one of "
                    + Arrays.stream(allowedReasonCodes).mapToObj(RawMqttClient::hex).toList() + ") but received "
                    + packet);
        }
        expectClosed(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
        return packet;
    }

    /** Asserts that no packet arrives and the connection stays open for {@code duration}. */
    public void expectNothing(Duration duration) throws IOException {
        Packet packet;
        try {
            packet = poll(duration);
        } catch (ConnectionClosedException e) {
            throw new AssertionError("expected the connection to stay silent and open, but the " + e.getMessage());
        }
        if (packet != null) {
            throw new AssertionError("expected nothing for " + duration + " but received " + packet);
        }
    }

    /** Sends PINGREQ and asserts PINGRESP: the connection is open and being served. */
    public void expectAlive() throws IOException {
        send(pingreq());
        expectPacket(PINGRESP, DEFAULT_TIMEOUT);
    }

    /** True once the server has closed or reset the connection (as observed by a read). */
    boolean isClosedByPeer() {
        return closedByPeer;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private Packet tryParse() {
        if (buffered < 2) {
            return null;
        }
        int remaining = 0;
        int multiplier = 1;
        int pos = 1;
        while (true) {
            if (pos >= buffered) {
                return null;
            }
            int b = buffer[pos++] & 0xFF;
            remaining += (b & 0x7F) * multiplier;
            if ((b & 0x80) == 0) {
                break;
            }
            multiplier *= 128;
            if (pos > 4) {
                throw new AssertionError("server sent a remaining length with more than 4 bytes: "
                        + HexFormat.of().formatHex(buffer, 0, Math.min(buffered, 16)));
            }
        }
        if (buffered - pos < remaining) {
            return null;
        }
        int first = buffer[0] & 0xFF;
        byte[] body = Arrays.copyOfRange(buffer, pos, pos + remaining);
        int consumed = pos + remaining;
        System.arraycopy(buffer, consumed, buffer, 0, buffered - consumed);
        buffered -= consumed;
        return Packet.decode(first, body, protocolVersion);
    }

    // ============================================================================================== decoded packets

    /** One packet received from the server, decoded as far as its type allows. */
    public static final class Packet {
        /** Packet type, 1..15. */
        public final int type;
        /** The four low bits of the fixed header. */
        final int flags;
        /** Everything after the remaining length. */
        public final byte[] body;
        /** Protocol version it was decoded with. */
        final int version;
        /** Packet identifier, or -1 if the type has none. */
        public int packetId = -1;
        /**
         * CONNACK return/reason code; PUBACK/PUBREC/PUBREL/PUBCOMP/DISCONNECT/AUTH reason code (0 when omitted);
         * -1 for other types.
         */
        public int reasonCode = -1;
        /** CONNACK session present flag. */
        public boolean sessionPresent;
        /** MQTT 5 properties (empty for 3.1.1 or when absent). */
        public Props properties = Props.NONE;
        /** PUBLISH topic name (may be empty when a topic alias is used). */
        public String topic;
        /** PUBLISH payload. */
        public byte[] payload;
        /** SUBACK return codes / UNSUBACK reason codes (MQTT 5). */
        public List<Integer> reasonCodes = List.of();

        private Packet(int type, int flags, byte[] body, int version) {
            this.type = type;
            this.flags = flags;
            this.body = body;
            this.version = version;
        }

        public int qos() {
            return (flags >> 1) & 3;
        }

        public boolean dup() {
            return (flags & 8) != 0;
        }

        boolean retain() {
            return (flags & 1) != 0;
        }

        public String payloadAsString() {
            return payload == null ? null : new String(payload, StandardCharsets.UTF_8);
        }

        static Packet decode(int first, byte[] body, int version) {
            Packet p = new Packet(first >> 4, first & 0x0F, body, version);
            Reader r = new Reader(body);
            boolean v5 = version == V5;
            try {
                switch (p.type) {
                    case CONNACK -> {
                        p.sessionPresent = (r.u8() & 1) != 0;
                        p.reasonCode = r.u8();
                        if (v5 && r.remaining() > 0) {
                            p.properties = r.props();
                        }
                    }
                    case PUBLISH -> {
                        p.topic = r.utf8();
                        if (p.qos() > 0) {
                            p.packetId = r.u16();
                        }
                        if (v5) {
                            p.properties = r.props();
                        }
                        p.payload = r.rest();
                    }
                    case PUBACK, PUBREC, PUBREL, PUBCOMP -> {
                        p.packetId = r.u16();
                        p.reasonCode = v5 && r.remaining() > 0 ? r.u8() : 0;
                        if (v5 && r.remaining() > 0) {
                            p.properties = r.props();
                        }
                    }
                    case SUBACK, UNSUBACK -> {
                        p.packetId = r.u16();
                        if (v5) {
                            p.properties = r.props();
                        }
                        List<Integer> codes = new ArrayList<>();
                        while (r.remaining() > 0) {
                            codes.add(r.u8());
                        }
                        p.reasonCodes = List.copyOf(codes);
                    }
                    case DISCONNECT, AUTH -> {
                        p.reasonCode = v5 && r.remaining() > 0 ? r.u8() : 0;
                        if (v5 && r.remaining() > 0) {
                            p.properties = r.props();
                        }
                    }
                    default -> {
                        // PINGRESP and anything unexpected: body kept raw
                    }
                }
            } catch (RuntimeException e) {
                throw new AssertionError("server sent an undecodable " + typeName(p.type) + ": "
                        + HexFormat.of().formatHex(body), e);
            }
            return p;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(typeName(type));
            if (flags != 0) {
                sb.append(" flags=").append(Integer.toBinaryString(flags));
            }
            if (packetId >= 0) {
                sb.append(" id=").append(packetId);
            }
            if (reasonCode >= 0) {
                sb.append(" rc=").append(hex(reasonCode));
            }
            if (!reasonCodes.isEmpty()) {
                sb.append(" rcs=").append(reasonCodes.stream().map(RawMqttClient::hex).toList());
            }
            if (topic != null) {
                sb.append(" topic='").append(topic).append('\'');
            }
            if (!properties.isEmpty()) {
                sb.append(" props=").append(properties);
            }
            if (payload != null) {
                sb.append(" payload='").append(payloadAsString()).append('\'');
            }
            sb.append(" [").append(HexFormat.of().formatHex(body, 0, Math.min(body.length, 48)))
                    .append(body.length > 48 ? "..." : "").append(']');
            return sb.toString();
        }
    }

    /** Human-readable packet type name. */
    static String typeName(int type) {
        String[] names = {"RESERVED0", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
            "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"};
        return type >= 0 && type < names.length ? names[type] : "TYPE" + type;
    }

    public static String hex(int value) {
        return String.format("0x%02X", value);
    }

    private static final class Reader {
        private final byte[] data;
        private int pos;

        Reader(byte[] data) {
            this.data = data;
        }

        int remaining() {
            return data.length - pos;
        }

        int u8() {
            if (pos >= data.length) {
                throw new IllegalStateException("truncated");
            }
            return data[pos++] & 0xFF;
        }

        int u16() {
            return (u8() << 8) | u8();
        }

        long u32() {
            return ((long) u16() << 16) | u16();
        }

        int varInt() {
            int value = 0;
            for (int i = 0; i < 4; i++) {
                int b = u8();
                value |= (b & 0x7F) << (7 * i);
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw new IllegalStateException("variable byte integer longer than 4 bytes");
        }

        byte[] bytes(int n) {
            if (n > remaining()) {
                throw new IllegalStateException("truncated");
            }
            byte[] b = Arrays.copyOfRange(data, pos, pos + n);
            pos += n;
            return b;
        }

        byte[] binary() {
            return bytes(u16());
        }

        String utf8() {
            return new String(binary(), StandardCharsets.UTF_8);
        }

        byte[] rest() {
            return bytes(remaining());
        }

        Props props() {
            int length = varInt();
            Reader r = new Reader(bytes(length));
            Props props = new Props();
            while (r.remaining() > 0) {
                int id = r.varInt();
                Object value = switch (Props.kind(id)) {
                    case BYTE -> r.u8();
                    case TWO_BYTE -> r.u16();
                    case FOUR_BYTE -> r.u32();
                    case VAR_INT -> r.varInt();
                    case UTF8 -> r.utf8();
                    case BINARY -> r.binary();
                    case PAIR -> new String[] {r.utf8(), r.utf8()};
                };
                props.add(id, value);
            }
            return props;
        }
    }

    // ============================================================================================== properties

    /**
     * An ordered list of MQTT 5 properties, for both encoding and decoding. Values: Integer for byte, two-byte and
     * variable byte integers, Long for four-byte integers, String for UTF-8 strings, byte[] for binary data and
     * String[2] for user properties. Any identifier may be added (also invalid or duplicate ones, for hostile tests).
     */
    public static final class Props {
        /** Shared empty instance; do not add to it. */
        public static final Props NONE = new Props();

        enum Kind { BYTE, TWO_BYTE, FOUR_BYTE, VAR_INT, UTF8, BINARY, PAIR }

        private final List<Integer> ids = new ArrayList<>();
        private final List<Object> values = new ArrayList<>();

        public static Props of() {
            return new Props();
        }

        static Kind kind(int id) {
            return switch (id) {
                case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> Kind.BYTE;
                case 0x13, 0x21, 0x22, 0x23 -> Kind.TWO_BYTE;
                case 0x02, 0x11, 0x18, 0x27 -> Kind.FOUR_BYTE;
                case 0x0B -> Kind.VAR_INT;
                case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> Kind.UTF8;
                case 0x09, 0x16 -> Kind.BINARY;
                case 0x26 -> Kind.PAIR;
                default -> throw new IllegalArgumentException("unknown property identifier " + hex(id));
            };
        }

        /** Adds a property; the value type must fit the identifier (see class comment). */
        Props add(int id, Object value) {
            if (this == NONE) {
                throw new UnsupportedOperationException("Props.NONE is immutable");
            }
            ids.add(id);
            values.add(value);
            return this;
        }

        /** Adds a byte, two-byte, four-byte or variable byte integer property. */
        public Props integer(int id, long value) {
            Kind kind = kind(id);
            return add(id, kind == Kind.FOUR_BYTE ? (Object) value : (Object) (int) value);
        }

        public Props string(int id, String value) {
            return add(id, value);
        }

        public Props binary(int id, byte[] value) {
            return add(id, value);
        }

        public Props userProperty(String key, String value) {
            return add(USER_PROPERTY, new String[] {key, value});
        }

        boolean isEmpty() {
            return ids.isEmpty();
        }

        boolean has(int id) {
            return ids.contains(id);
        }

        /** First value of the identifier, or null. */
        Object get(int id) {
            int i = ids.indexOf(id);
            return i < 0 ? null : values.get(i);
        }

        /** First integer value of the identifier (any integer kind), or null. */
        public Long getLong(int id) {
            Object v = get(id);
            return v == null ? null : ((Number) v).longValue();
        }

        public String getString(int id) {
            return (String) get(id);
        }

        /** All values of a repeatable identifier (user property, subscription identifier), in order. */
        public List<Object> getAll(int id) {
            List<Object> all = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                if (ids.get(i) == id) {
                    all.add(values.get(i));
                }
            }
            return Collections.unmodifiableList(all);
        }

        /** Encoded property block including its variable byte integer length prefix. */
        byte[] encode() {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int i = 0; i < ids.size(); i++) {
                int id = ids.get(i);
                Object v = values.get(i);
                writeVarInt(body, id);
                switch (kind(id)) {
                    case BYTE -> body.write(((Number) v).intValue());
                    case TWO_BYTE -> writeU16(body, ((Number) v).intValue());
                    case FOUR_BYTE -> writeU32(body, ((Number) v).longValue());
                    case VAR_INT -> writeVarInt(body, ((Number) v).intValue());
                    case UTF8 -> writeUtf8(body, (String) v);
                    case BINARY -> writeBinary(body, (byte[]) v);
                    case PAIR -> {
                        writeUtf8(body, ((String[]) v)[0]);
                        writeUtf8(body, ((String[]) v)[1]);
                    }
                }
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            writeVarInt(all, body.size());
            all.writeBytes(body.toByteArray());
            return all.toByteArray();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("{");
            for (int i = 0; i < ids.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                Object v = values.get(i);
                String s = v instanceof byte[] b ? HexFormat.of().formatHex(b)
                        : v instanceof String[] pair ? pair[0] + "=" + pair[1] : String.valueOf(v);
                sb.append(hex(ids.get(i))).append(':').append(s);
            }
            return sb.append('}').toString();
        }
    }

    // ============================================================================================== encoding

    /** Writes a variable byte integer (no range check, so callers may encode out-of-spec values up to 2^28-1). */
    public static void writeVarInt(ByteArrayOutputStream out, int value) {
        do {
            int digit = value & 0x7F;
            value >>>= 7;
            out.write(value > 0 ? digit | 0x80 : digit);
        } while (value > 0);
    }

    public static void writeU16(ByteArrayOutputStream out, int value) {
        out.write((value >> 8) & 0xFF);
        out.write(value & 0xFF);
    }

    static void writeU32(ByteArrayOutputStream out, long value) {
        writeU16(out, (int) (value >> 16) & 0xFFFF);
        writeU16(out, (int) value & 0xFFFF);
    }

    /** 2-byte length prefix + UTF-8 bytes. */
    public static void writeUtf8(ByteArrayOutputStream out, String value) {
        writeBinary(out, value.getBytes(StandardCharsets.UTF_8));
    }

    /** 2-byte length prefix + the bytes as given (use for deliberately invalid UTF-8). */
    public static void writeBinary(ByteArrayOutputStream out, byte[] value) {
        writeU16(out, value.length);
        out.writeBytes(value);
    }

    /** Fixed header ({@code firstByte}, remaining length = body length) followed by the body. */
    public static byte[] packet(int firstByte, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 5);
        out.write(firstByte);
        writeVarInt(out, body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** Builder for CONNECT packets of any protocol level, including invalid ones. */
    public static final class Connect {
        String protocolName = "MQTT";
        int protocolLevel = V3_1_1;
        String clientId = "";
        boolean cleanSession = true;
        int keepAlive;
        String username;
        byte[] password;
        public String willTopic;
        byte[] willPayload;
        int willQos;
        boolean willRetain;
        Props willProperties = Props.NONE;
        Props properties = Props.NONE;
        boolean reservedFlag;

        public static Connect v311(String clientId) {
            return new Connect().clientId(clientId);
        }

        public static Connect v5(String clientId) {
            return new Connect().protocolLevel(V5).clientId(clientId);
        }

        public Connect protocolName(String name) {
            this.protocolName = name;
            return this;
        }

        public Connect protocolLevel(int level) {
            this.protocolLevel = level;
            return this;
        }

        Connect clientId(String id) {
            this.clientId = id;
            return this;
        }

        /** Clean Session (3.1.1) / Clean Start (5.0). */
        public Connect cleanSession(boolean clean) {
            this.cleanSession = clean;
            return this;
        }

        public Connect keepAlive(int seconds) {
            this.keepAlive = seconds;
            return this;
        }

        /** Sets the username (and the username flag). */
        public Connect username(String name) {
            this.username = name;
            return this;
        }

        /** Sets the password (and the password flag), independently of the username. */
        public Connect password(byte[] pw) {
            this.password = pw;
            return this;
        }

        /** Sets the will flag with the given topic, payload, QoS (0..3, 3 is invalid) and retain flag. */
        public Connect will(String topic, byte[] payload, int qos, boolean retain) {
            this.willTopic = topic;
            this.willPayload = payload;
            this.willQos = qos;
            this.willRetain = retain;
            return this;
        }

        /** MQTT 5 will properties. */
        public Connect willProperties(Props props) {
            this.willProperties = props;
            return this;
        }

        /** MQTT 5 CONNECT properties. */
        public Connect properties(Props props) {
            this.properties = props;
            return this;
        }

        /** Sets the reserved bit 0 of the connect flags (must be 0 per spec). */
        public Connect reservedFlag(boolean set) {
            this.reservedFlag = set;
            return this;
        }

        int flags() {
            int flags = 0;
            if (username != null) {
                flags |= 0x80;
            }
            if (password != null) {
                flags |= 0x40;
            }
            if (willTopic != null) {
                flags |= 0x04 | (willQos & 3) << 3 | (willRetain ? 0x20 : 0);
            }
            if (cleanSession) {
                flags |= 0x02;
            }
            if (reservedFlag) {
                flags |= 0x01;
            }
            return flags;
        }

        public byte[] encode() {
            boolean v5 = protocolLevel == V5;
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            writeUtf8(body, protocolName);
            body.write(protocolLevel);
            body.write(flags());
            writeU16(body, keepAlive);
            if (v5) {
                body.writeBytes(properties.encode());
            }
            writeUtf8(body, clientId);
            if (willTopic != null) {
                if (v5) {
                    body.writeBytes(willProperties.encode());
                }
                writeUtf8(body, willTopic);
                writeBinary(body, willPayload == null ? new byte[0] : willPayload);
            }
            if (username != null) {
                writeUtf8(body, username);
            }
            if (password != null) {
                writeBinary(body, password);
            }
            return packet(CONNECT << 4, body.toByteArray());
        }
    }

    /** Builder for PUBLISH packets, including invalid ones (QoS 3, DUP on QoS 0, raw topic bytes). */
    public static final class Publish {
        int version = V3_1_1;
        byte[] topic = new byte[0];
        int qos;
        boolean dup;
        boolean retain;
        int packetId = 1;
        Props properties = Props.NONE;
        byte[] payload = new byte[0];

        public static Publish v311(String topic) {
            return new Publish().topic(topic);
        }

        public static Publish v5(String topic) {
            return new Publish().version(V5).topic(topic);
        }

        public Publish version(int version) {
            this.version = version;
            return this;
        }

        public Publish topic(String topic) {
            this.topic = topic.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /** Topic name as raw bytes (length-prefixed as given), e.g. invalid UTF-8. */
        public Publish topicBytes(byte[] raw) {
            this.topic = raw;
            return this;
        }

        /** QoS 0..3 (3 is invalid); a packet identifier is encoded for any QoS other than 0. */
        public Publish qos(int qos) {
            this.qos = qos;
            return this;
        }

        public Publish dup(boolean dup) {
            this.dup = dup;
            return this;
        }

        public Publish retain(boolean retain) {
            this.retain = retain;
            return this;
        }

        public Publish packetId(int id) {
            this.packetId = id;
            return this;
        }

        public Publish properties(Props props) {
            this.properties = props;
            return this;
        }

        public Publish payload(byte[] payload) {
            this.payload = payload;
            return this;
        }

        public Publish payload(String payload) {
            return payload(payload.getBytes(StandardCharsets.UTF_8));
        }

        public byte[] encode() {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            writeBinary(body, topic);
            if (qos != 0) {
                writeU16(body, packetId);
            }
            if (version == V5) {
                body.writeBytes(properties.encode());
            }
            body.writeBytes(payload);
            int first = PUBLISH << 4 | (dup ? 8 : 0) | (qos & 3) << 1 | (retain ? 1 : 0);
            return packet(first, body.toByteArray());
        }
    }

    /** One SUBSCRIBE entry: a topic filter and its options byte. */
    public record Subscription(String filter, int options) {
    }

    /**
     * Subscription options byte: QoS (bits 0-1), No Local (bit 2), Retain As Published (bit 3), Retain Handling
     * (bits 4-5). No range checks, so invalid values can be produced.
     */
    public static int options(int qos, boolean noLocal, boolean retainAsPublished, int retainHandling) {
        return qos | (noLocal ? 0x04 : 0) | (retainAsPublished ? 0x08 : 0) | retainHandling << 4;
    }

    /** SUBSCRIBE (fixed header flags 0b0010); zero subscriptions produce an invalid, empty payload. */
    public static byte[] subscribe(int version, int packetId, Props props, Subscription... subscriptions) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeU16(body, packetId);
        if (version == V5) {
            body.writeBytes(props.encode());
        }
        for (Subscription s : subscriptions) {
            writeUtf8(body, s.filter());
            body.write(s.options());
        }
        return packet(SUBSCRIBE << 4 | 0x02, body.toByteArray());
    }

    /** UNSUBSCRIBE (fixed header flags 0b0010). */
    public static byte[] unsubscribe(int version, int packetId, Props props, String... filters) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeU16(body, packetId);
        if (version == V5) {
            body.writeBytes(props.encode());
        }
        for (String f : filters) {
            writeUtf8(body, f);
        }
        return packet(UNSUBSCRIBE << 4 | 0x02, body.toByteArray());
    }

    /**
     * PUBACK, PUBREC, PUBREL (fixed header flags 0b0010) or PUBCOMP. For MQTT 5 the reason code and properties are
     * written unless the reason is 0 and there are no properties (the short form).
     */
    public static byte[] ack(int type, int version, int packetId, int reasonCode, Props props) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeU16(body, packetId);
        if (version == V5 && (reasonCode != 0 || !props.isEmpty())) {
            body.write(reasonCode);
            if (!props.isEmpty()) {
                body.writeBytes(props.encode());
            }
        }
        return packet(type << 4 | (type == PUBREL ? 0x02 : 0), body.toByteArray());
    }

    public static byte[] pingreq() {
        return new byte[] {(byte) 0xC0, 0x00};
    }

    /** DISCONNECT; for MQTT 5 with reason code and properties unless both are default (then the 2-byte form). */
    public static byte[] disconnect(int version, int reasonCode, Props props) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (version == V5 && (reasonCode != 0 || !props.isEmpty())) {
            body.write(reasonCode);
            if (!props.isEmpty()) {
                body.writeBytes(props.encode());
            }
        }
        return packet(DISCONNECT << 4, body.toByteArray());
    }

    /** Concatenates packets, e.g. to send several in one write. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
