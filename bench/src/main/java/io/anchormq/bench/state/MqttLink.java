package io.anchormq.bench.state;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One blocking MQTT 3.1.1 / 5.0 client connection, as small as the state tools need: CONNECT with or without a clean
 * session (and a Session Expiry Interval in 5.0), SUBSCRIBE, PUBLISH, PUBACK, DISCONNECT, and reading packets whole.
 * Writes may come from several threads (they are serialised); reads from one thread at a time.
 */
final class MqttLink implements Closeable {

    static final int CONNACK = 2;
    static final int PUBLISH = 3;
    static final int PUBACK = 4;
    static final int SUBACK = 9;
    static final int PINGRESP = 13;

    /** A packet as read: its type, the flags of its first byte, and everything after the fixed header. */
    record Packet(int type, int flags, byte[] body) {
    }

    /** A PUBLISH taken apart (MQTT 5 properties skipped). */
    record Publish(String topic, int qos, boolean retain, int packetId, byte[] payload) {
    }

    /** The broker refused or broke off the connection in a way that is not an I/O failure. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final boolean mqtt5;

    private MqttLink(Socket socket, boolean mqtt5) throws IOException {
        this.socket = socket;
        this.mqtt5 = mqtt5;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /** A TCP connection to the broker; nothing sent yet. */
    static MqttLink open(String host, int port, boolean mqtt5, int timeoutMillis) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            return new MqttLink(s, mqtt5);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Read timeout from now on; 0 = none. */
    void readTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /**
     * Sends CONNECT and reads CONNACK.
     *
     * @param clean Clean Session (3.1.1) / Clean Start (5.0)
     * @param sessionExpiry 5.0: the Session Expiry Interval to ask for (0: none)
     * @return CONNACK's session present flag
     */
    boolean connect(String clientId, boolean clean, long sessionExpiry, int keepAlive) throws IOException {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        string(v, "MQTT");
        v.write(mqtt5 ? 5 : 4);
        v.write(clean ? 0x02 : 0);
        v.write(keepAlive >> 8);
        v.write(keepAlive);
        if (mqtt5) {
            if (sessionExpiry > 0) {
                variable(v, 5);
                v.write(0x11);
                v.writeBytes(ByteBuffer.allocate(4).putInt((int) sessionExpiry).array());
            } else {
                variable(v, 0);
            }
        }
        string(v, clientId);
        send(0x10, v.toByteArray());
        flush();
        Packet ack = read();
        if (ack.type() != CONNACK || ack.body().length < 2) {
            throw new Refused(clientId + ": expected CONNACK, got packet type " + ack.type());
        }
        int code = ack.body()[1] & 0xFF;
        if (code != 0) {
            throw new Refused(clientId + ": CONNACK refused with 0x" + Integer.toHexString(code));
        }
        return (ack.body()[0] & 0x01) != 0;
    }

    /** Sends SUBSCRIBE (not flushed). */
    void subscribe(int packetId, int qos, String... filters) throws IOException {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        v.write(packetId >> 8);
        v.write(packetId);
        if (mqtt5) {
            variable(v, 0);
        }
        for (String f : filters) {
            string(v, f);
            v.write(qos);
        }
        send(0x82, v.toByteArray());
    }

    /** Sends SUBSCRIBE and reads until its SUBACK; fails on a refused filter. */
    void subscribeAndWait(int packetId, int qos, String... filters) throws IOException {
        subscribe(packetId, qos, filters);
        flush();
        while (true) {
            Packet p = read();
            if (p.type() == SUBACK) {
                ByteBuffer b = ByteBuffer.wrap(p.body());
                if ((b.getShort() & 0xFFFF) != packetId) {
                    throw new Refused("SUBACK for another packet id");
                }
                if (mqtt5) {
                    skip(b, (int) variable(b));
                }
                while (b.hasRemaining()) {
                    int code = b.get() & 0xFF;
                    if (code >= 0x80) {
                        throw new Refused("SUBSCRIBE refused with 0x" + Integer.toHexString(code));
                    }
                }
                return;
            }
            if (p.type() != PUBLISH) {
                throw new Refused("expected SUBACK, got packet type " + p.type());
            }
            // a retained or queued message ahead of the SUBACK: the callers that care subscribe elsewhere
            Publish m = publish(p);
            if (m.qos() > 0) {
                puback(m.packetId());
            }
        }
    }

    /** Sends PUBLISH (not flushed). */
    void publish(String topic, byte[] payload, int qos, boolean retain, int packetId) throws IOException {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        int length = 2 + t.length + (qos > 0 ? 2 : 0) + (mqtt5 ? 1 : 0) + payload.length;
        synchronized (this) {
            out.write(0x30 | qos << 1 | (retain ? 1 : 0));
            variable(out, length);
            out.write(t.length >> 8);
            out.write(t.length);
            out.write(t);
            if (qos > 0) {
                out.write(packetId >> 8);
                out.write(packetId);
            }
            if (mqtt5) {
                out.write(0);
            }
            out.write(payload);
        }
    }

    /** Sends PUBACK (not flushed). */
    void puback(int packetId) throws IOException {
        synchronized (this) {
            out.write(0x40);
            out.write(2);
            out.write(packetId >> 8);
            out.write(packetId);
        }
    }

    /** Sends DISCONNECT, then closes. */
    void disconnect() {
        try {
            synchronized (this) {
                out.write(0xE0);
                out.write(0);
                out.flush();
            }
        } catch (IOException e) {
            // closing anyway
        }
        close();
    }

    void flush() throws IOException {
        synchronized (this) {
            out.flush();
        }
    }

    /** The next packet, whole; blocks (up to the read timeout). */
    Packet read() throws IOException {
        int first = in.read();
        if (first < 0) {
            throw new EOFException("connection closed by the broker");
        }
        int length = 0;
        for (int i = 0, shift = 0; ; i++, shift += 7) {
            int digit = in.read();
            if (digit < 0) {
                throw new EOFException("connection closed by the broker");
            }
            length |= (digit & 0x7F) << shift;
            if ((digit & 0x80) == 0) {
                break;
            }
            if (i == 3) {
                throw new Refused("remaining length longer than 4 bytes");
            }
        }
        byte[] body = new byte[length];
        in.readFully(body);
        return new Packet(first >> 4, first & 0x0F, body);
    }

    /** Whether bytes already read from the socket wait in the buffer (more packets to handle before a flush). */
    boolean buffered() throws IOException {
        return in.available() > 0;
    }

    /** A PUBLISH packet's parts. */
    Publish publish(Packet p) {
        ByteBuffer b = ByteBuffer.wrap(p.body());
        int qos = (p.flags() >> 1) & 3;
        int n = b.getShort() & 0xFFFF;
        String topic = new String(p.body(), b.position(), n, StandardCharsets.UTF_8);
        skip(b, n);
        int packetId = qos > 0 ? b.getShort() & 0xFFFF : 0;
        if (mqtt5) {
            skip(b, (int) variable(b));
        }
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new Publish(topic, qos, (p.flags() & 1) != 0, packetId, payload);
    }

    /** The packet id of a PUBACK. */
    static int packetIdOf(Packet p) {
        return (p.body()[0] & 0xFF) << 8 | (p.body()[1] & 0xFF);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    private void send(int first, byte[] variableAndPayload) throws IOException {
        synchronized (this) {
            out.write(first);
            variable(out, variableAndPayload.length);
            out.write(variableAndPayload);
        }
    }

    private static void string(ByteArrayOutputStream v, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        v.write(b.length >> 8);
        v.write(b.length);
        v.writeBytes(b);
    }

    private static void variable(OutputStream o, int value) throws IOException {
        do {
            int digit = value & 0x7F;
            value >>>= 7;
            o.write(value > 0 ? digit | 0x80 : digit);
        } while (value > 0);
    }

    private static void variable(ByteArrayOutputStream o, int value) {
        do {
            int digit = value & 0x7F;
            value >>>= 7;
            o.write(value > 0 ? digit | 0x80 : digit);
        } while (value > 0);
    }

    private static long variable(ByteBuffer b) {
        long value = 0;
        for (int shift = 0; shift < 28; shift += 7) {
            int digit = b.get() & 0xFF;
            value |= (long) (digit & 0x7F) << shift;
            if ((digit & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("variable byte integer longer than 4 bytes");
    }

    private static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }
}
