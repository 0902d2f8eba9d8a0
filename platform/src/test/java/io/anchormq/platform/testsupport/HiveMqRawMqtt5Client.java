package io.anchormq.platform.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Minimal hand-rolled MQTT 5 client for the few checks the HiveMQ client API hides: the Subscription Identifiers and
 * Topic Alias properties on an inbound PUBLISH, and sending a PUBLISH that uses a client-chosen topic alias.
 * Inbound PUBLISHes: QoS 0 and 1 only (QoS 1 is acknowledged automatically when read).
 */
public final class HiveMqRawMqtt5Client implements AutoCloseable {

    /** A received PUBLISH with the properties the tests look at. */
    public record Publish(String topicName, int qos, boolean retain, boolean dup, Integer topicAlias,
                   List<Integer> subscriptionIds, byte[] payload) {
        public String payloadUtf8() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int nextPacketId = 1;

    private HiveMqRawMqtt5Client(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects with clean start, keep alive 60 and the given Topic Alias Maximum (0 = property omitted). */
    public static HiveMqRawMqtt5Client connect(int port, String clientId, int topicAliasMaximum) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        HiveMqRawMqtt5Client client = new HiveMqRawMqtt5Client(socket);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeString(body, "MQTT");
        body.write(5);
        body.write(0x02); // clean start
        body.write(0);
        body.write(60);
        ByteArrayOutputStream props = new ByteArrayOutputStream();
        if (topicAliasMaximum > 0) {
            props.write(0x22);
            props.write(topicAliasMaximum >> 8);
            props.write(topicAliasMaximum & 0xFF);
        }
        writeVarInt(body, props.size());
        body.write(props.toByteArray());
        writeString(body, clientId);
        client.send(0x10, body.toByteArray());
        int[] header = new int[1];
        byte[] connack = client.readPacket(header);
        if ((header[0] >> 4) != 2) {
            socket.close();
            throw new IOException("expected CONNACK, got packet type " + (header[0] >> 4));
        }
        if (connack.length < 2 || connack[1] != 0) {
            socket.close();
            throw new IOException("CONNACK reason code 0x" + Integer.toHexString(connack.length < 2 ? -1 : connack[1] & 0xFF));
        }
        return client;
    }

    /** Sends one SUBSCRIBE (one filter) carrying the given Subscription Identifier; returns the SUBACK reason code. */
    public int subscribe(String filter, int qos, int subscriptionId) throws IOException {
        int packetId = nextPacketId++;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(packetId >> 8);
        body.write(packetId & 0xFF);
        ByteArrayOutputStream props = new ByteArrayOutputStream();
        props.write(0x0B);
        writeVarInt(props, subscriptionId);
        writeVarInt(body, props.size());
        body.write(props.toByteArray());
        writeString(body, filter);
        body.write(qos);
        send(0x82, body.toByteArray());
        while (true) {
            int[] header = new int[1];
            byte[] packet = readPacket(header);
            if ((header[0] >> 4) == 9) {
                int propLen = readVarInt(packet, 2);
                int offset = 2 + varIntSize(propLen) + propLen;
                return packet[offset] & 0xFF;
            }
        }
    }

    /**
     * Sends a PUBLISH. topicName may be "" when topicAlias refers to an alias set earlier on this connection;
     * topicAlias 0 means no alias property. QoS 1 waits for the PUBACK and returns its reason code; QoS 0 returns -1.
     */
    public int publish(String topicName, int topicAlias, int qos, byte[] payload) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeString(body, topicName);
        int packetId = 0;
        if (qos > 0) {
            packetId = nextPacketId++;
            body.write(packetId >> 8);
            body.write(packetId & 0xFF);
        }
        ByteArrayOutputStream props = new ByteArrayOutputStream();
        if (topicAlias > 0) {
            props.write(0x23);
            props.write(topicAlias >> 8);
            props.write(topicAlias & 0xFF);
        }
        writeVarInt(body, props.size());
        body.write(props.toByteArray());
        body.write(payload);
        send(0x30 | (qos << 1), body.toByteArray());
        if (qos == 0) {
            return -1;
        }
        while (true) {
            int[] header = new int[1];
            byte[] packet = readPacket(header);
            if ((header[0] >> 4) == 4 && ((packet[0] & 0xFF) << 8 | (packet[1] & 0xFF)) == packetId) {
                return packet.length > 2 ? packet[2] & 0xFF : 0;
            }
            if ((header[0] >> 4) == 14) {
                throw new IOException("server sent DISCONNECT 0x" + Integer.toHexString(packet.length > 0 ? packet[0] & 0xFF : 0));
            }
        }
    }

    /**
     * Sends a QoS 2 PUBLISH, then the same PUBLISH again with DUP=1 and the same packet identifier (as a client does
     * when it retransmits before receiving PUBREC), then completes the flow with PUBREL. Returns the reason codes of
     * the two PUBRECs and the PUBCOMP.
     */
    public int[] publishQos2WithRetransmission(String topicName, byte[] payload) throws IOException {
        int packetId = nextPacketId++;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeString(body, topicName);
        body.write(packetId >> 8);
        body.write(packetId & 0xFF);
        writeVarInt(body, 0);
        body.write(payload);
        byte[] publish = body.toByteArray();
        send(0x34, publish);
        int rec1 = awaitAck(5, packetId);
        send(0x3C, publish); // DUP=1, QoS 2
        int rec2 = awaitAck(5, packetId);
        send(0x62, new byte[] {(byte) (packetId >> 8), (byte) packetId});
        int comp = awaitAck(7, packetId);
        return new int[] {rec1, rec2, comp};
    }

    private int awaitAck(int type, int packetId) throws IOException {
        while (true) {
            int[] header = new int[1];
            byte[] packet = readPacket(header);
            int t = header[0] >> 4;
            if (t == 14) {
                throw new IOException("server sent DISCONNECT 0x" + Integer.toHexString(packet.length > 0 ? packet[0] & 0xFF : 0));
            }
            if (t == type && ((packet[0] & 0xFF) << 8 | (packet[1] & 0xFF)) == packetId) {
                return packet.length > 2 ? packet[2] & 0xFF : 0;
            }
        }
    }

    /** Next PUBLISH within the timeout (other packets are skipped), or empty. */
    public Optional<Publish> readPublish(long timeoutMillis) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            long remaining = deadline - System.currentTimeMillis();
            if (remaining <= 0) {
                return Optional.empty();
            }
            socket.setSoTimeout((int) remaining);
            int[] header = new int[1];
            byte[] packet;
            try {
                packet = readPacket(header);
            } catch (SocketTimeoutException e) {
                return Optional.empty();
            }
            int type = header[0] >> 4;
            if (type == 14) {
                throw new IOException("server sent DISCONNECT 0x" + Integer.toHexString(packet.length > 0 ? packet[0] & 0xFF : 0));
            }
            if (type != 3) {
                continue;
            }
            int flags = header[0] & 0x0F;
            int qos = (flags >> 1) & 3;
            int pos = 0;
            int topicLen = (packet[pos] & 0xFF) << 8 | (packet[pos + 1] & 0xFF);
            pos += 2;
            String topic = new String(packet, pos, topicLen, StandardCharsets.UTF_8);
            pos += topicLen;
            int packetId = 0;
            if (qos > 0) {
                packetId = (packet[pos] & 0xFF) << 8 | (packet[pos + 1] & 0xFF);
                pos += 2;
            }
            int propLen = readVarInt(packet, pos);
            pos += varIntSize(propLen);
            int propEnd = pos + propLen;
            Integer alias = null;
            List<Integer> subIds = new ArrayList<>();
            while (pos < propEnd) {
                int id = packet[pos++] & 0xFF;
                switch (id) {
                    case 0x01 -> pos += 1;
                    case 0x02 -> pos += 4;
                    case 0x03, 0x08 -> pos += 2 + ((packet[pos] & 0xFF) << 8 | (packet[pos + 1] & 0xFF));
                    case 0x09 -> pos += 2 + ((packet[pos] & 0xFF) << 8 | (packet[pos + 1] & 0xFF));
                    case 0x0B -> {
                        int v = readVarInt(packet, pos);
                        subIds.add(v);
                        pos += varIntSize(v);
                    }
                    case 0x23 -> {
                        alias = (packet[pos] & 0xFF) << 8 | (packet[pos + 1] & 0xFF);
                        pos += 2;
                    }
                    case 0x26 -> {
                        pos += 2 + ((packet[pos] & 0xFF) << 8 | (packet[pos + 1] & 0xFF));
                        pos += 2 + ((packet[pos] & 0xFF) << 8 | (packet[pos + 1] & 0xFF));
                    }
                    default -> throw new IOException("unexpected PUBLISH property 0x" + Integer.toHexString(id));
                }
            }
            byte[] payload = new byte[packet.length - propEnd];
            System.arraycopy(packet, propEnd, payload, 0, payload.length);
            if (qos == 1) {
                send(0x40, new byte[] {(byte) (packetId >> 8), (byte) packetId});
            } else if (qos == 2) {
                throw new IOException("raw test client does not support inbound QoS 2");
            }
            return Optional.of(new Publish(topic, qos, (flags & 1) != 0, (flags & 8) != 0, alias, subIds, payload));
        }
    }

    @Override
    public void close() {
        try {
            if (!socket.isClosed()) {
                out.write(new byte[] {(byte) 0xE0, 0});
                out.flush();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private void send(int firstByte, byte[] body) throws IOException {
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.write(firstByte);
        writeVarInt(packet, body.length);
        packet.write(body);
        out.write(packet.toByteArray());
        out.flush();
    }

    private byte[] readPacket(int[] firstByte) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed by server");
        }
        firstByte[0] = b;
        int length = 0;
        int multiplier = 1;
        int digit;
        do {
            digit = in.readUnsignedByte();
            length += (digit & 0x7F) * multiplier;
            multiplier *= 128;
        } while ((digit & 0x80) != 0);
        byte[] body = new byte[length];
        in.readFully(body);
        return body;
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.write(bytes.length >> 8);
        out.write(bytes.length & 0xFF);
        out.write(bytes, 0, bytes.length);
    }

    private static void writeVarInt(ByteArrayOutputStream out, int value) {
        do {
            int digit = value % 128;
            value /= 128;
            if (value > 0) {
                digit |= 0x80;
            }
            out.write(digit);
        } while (value > 0);
    }

    private static int readVarInt(byte[] buf, int pos) {
        int value = 0;
        int multiplier = 1;
        int digit;
        do {
            digit = buf[pos++] & 0xFF;
            value += (digit & 0x7F) * multiplier;
            multiplier *= 128;
        } while ((digit & 0x80) != 0);
        return value;
    }

    private static int varIntSize(int value) {
        return value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : 4;
    }
}
