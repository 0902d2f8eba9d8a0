package io.anchormq.broker.store;

import io.anchormq.broker.message.Message;
import io.anchormq.broker.routing.Delivery;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttProperty;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The byte layout of the records in the {@link BrokerStore}: messages, deliveries, and the parts session records
 * are made of (strings, byte arrays, MQTT properties). Times are wall-clock milliseconds, since the monotonic
 * clock of {@link Message#expiresAtNanos} does not survive a restart.
 */
public final class StoreRecords {

    private static final int MESSAGE_VERSION = 1;
    private static final int DELIVERY_VERSION = 1;
    /** Beyond this many publishers a load stops remembering new ones: the map would cost more than it saves. */
    private static final int MAX_SHARED_PUBLISHERS = 10_000;

    private StoreRecords() {
    }

    /** Writes records into a byte array. */
    public static final class Writer {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        private final DataOutputStream out = new DataOutputStream(bytes);

        public Writer writeInt(int v) {
            try {
                out.writeInt(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        public Writer writeLong(long v) {
            try {
                out.writeLong(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        public Writer writeBoolean(boolean v) {
            return writeByte(v ? 1 : 0);
        }

        public Writer writeByte(int v) {
            try {
                out.writeByte(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        /** A string, or null. */
        public Writer writeString(String s) {
            return writeBytes(s == null ? null : s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        /** A byte array, or null. */
        public Writer writeBytes(byte[] b) {
            try {
                if (b == null) {
                    out.writeInt(-1);
                } else {
                    out.writeInt(b.length);
                    out.write(b);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        /** MQTT properties (of Netty's property types), or null for none. */
        public Writer writeProperties(Iterable<?> properties) {
            List<MqttProperty<?>> list = new ArrayList<>();
            if (properties != null) {
                for (Object p : properties) {
                    list.add((MqttProperty<?>) p);
                }
            }
            writeInt(list.size());
            for (MqttProperty<?> p : list) {
                writeByte(p.propertyId());
                if (p instanceof MqttProperties.IntegerProperty i) {
                    writeByte('i').writeInt(i.value());
                } else if (p instanceof MqttProperties.StringProperty s) {
                    writeByte('s').writeString(s.value());
                } else if (p instanceof MqttProperties.BinaryProperty b) {
                    writeByte('b').writeBytes(b.value());
                } else if (p instanceof MqttProperties.UserProperties u) {
                    writeByte('u').writeInt(u.value().size());
                    for (MqttProperties.StringPair pair : u.value()) {
                        writeString(pair.key).writeString(pair.value);
                    }
                } else if (p instanceof MqttProperties.UserProperty u) {
                    writeByte('u').writeInt(1).writeString(u.value().key).writeString(u.value().value);
                } else {
                    throw new IllegalArgumentException("unknown MQTT property type " + p.getClass());
                }
            }
            return this;
        }

        public byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }

    /** Reads what a {@link Writer} wrote, in the same order. */
    public static final class Reader {
        private final DataInputStream in;

        public Reader(byte[] record) {
            in = new DataInputStream(new java.io.ByteArrayInputStream(record));
        }

        public int readInt() {
            try {
                return in.readInt();
            } catch (IOException e) {
                throw corrupt(e);
            }
        }

        public long readLong() {
            try {
                return in.readLong();
            } catch (IOException e) {
                throw corrupt(e);
            }
        }

        public int readByte() {
            try {
                return in.readUnsignedByte();
            } catch (IOException e) {
                throw corrupt(e);
            }
        }

        public boolean readBoolean() {
            return readByte() != 0;
        }

        public String readString() {
            byte[] b = readBytes();
            return b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
        }

        public byte[] readBytes() {
            int n = readInt();
            if (n < 0) {
                return null;
            }
            try {
                return in.readNBytes(n);
            } catch (IOException e) {
                throw corrupt(e);
            }
        }

        public List<MqttProperty<?>> readPropertyList() {
            int n = readInt();
            List<MqttProperty<?>> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int id = readByte();
                int kind = readByte();
                switch (kind) {
                    case 'i' -> list.add(new MqttProperties.IntegerProperty(id, readInt()));
                    case 's' -> list.add(new MqttProperties.StringProperty(id, readString()));
                    case 'b' -> list.add(new MqttProperties.BinaryProperty(id, readBytes()));
                    case 'u' -> {
                        int pairs = readInt();
                        List<MqttProperties.StringPair> values = new ArrayList<>(pairs);
                        for (int j = 0; j < pairs; j++) {
                            values.add(new MqttProperties.StringPair(readString(), readString()));
                        }
                        list.add(new MqttProperties.UserProperties(values));
                    }
                    default -> throw corrupt(new IOException("unknown property kind " + kind));
                }
            }
            return list;
        }

        public MqttProperties readProperties() {
            MqttProperties props = new MqttProperties();
            for (MqttProperty<?> p : readPropertyList()) {
                props.add(p);
            }
            return props;
        }

        private static IllegalStateException corrupt(IOException e) {
            return new IllegalStateException("a record of the broker state is damaged: " + e.getMessage(), e);
        }
    }

    // ---- messages --------------------------------------------------------------------------------------------------

    public static byte[] message(Message m) {
        Writer w = new Writer().writeByte(MESSAGE_VERSION).writeString(m.topic()).writeByte(m.qos())
                .writeBoolean(m.retain()).writeBytes(m.payload()).writeString(m.publisherId());
        w.writeLong(m.hasExpiry() ? wallClockOf(m.expiresAtNanos()) : -1);
        return w.writeProperties(m.passThrough()).toByteArray();
    }

    public static Message readMessage(byte[] record) {
        return readMessage(record, null);
    }

    /**
     * @param publishers publisher ids read so far, to share one string among the messages of one publisher (a
     *     million retained messages of a few publishers would otherwise hold a million copies); null: no sharing
     */
    public static Message readMessage(byte[] record, Map<String, String> publishers) {
        Reader r = new Reader(record);
        int version = r.readByte();
        if (version != MESSAGE_VERSION) {
            throw new IllegalStateException("a message record of version " + version + " is not readable here");
        }
        String topic = r.readString();
        int qos = r.readByte();
        boolean retain = r.readBoolean();
        byte[] payload = r.readBytes();
        String publisher = r.readString();
        if (publishers != null) {
            String known = publishers.get(publisher);
            if (known != null) {
                publisher = known;
            } else if (publishers.size() < MAX_SHARED_PUBLISHERS) {
                publishers.put(publisher, publisher);
            }
        }
        long expiresAtMillis = r.readLong();
        List<MqttProperty<?>> props = r.readPropertyList();
        return new Message(topic, qos, retain, payload, props.isEmpty() ? List.of() : List.copyOf(props), publisher,
                expiresAtMillis < 0 ? Message.NEVER : nanoTimeOf(expiresAtMillis));
    }

    /** The wall-clock time of a {@link System#nanoTime()} deadline. */
    public static long wallClockOf(long nanoDeadline) {
        return System.currentTimeMillis() + (nanoDeadline - System.nanoTime()) / 1_000_000L;
    }

    /** The {@link System#nanoTime()} deadline of a wall-clock time (in the past for times gone by). */
    public static long nanoTimeOf(long wallMillis) {
        return System.nanoTime() + (wallMillis - System.currentTimeMillis()) * 1_000_000L;
    }

    // ---- deliveries ------------------------------------------------------------------------------------------------

    /**
     * A delivery's record: the message it references, how it is delivered, and its state of flight: packet id 0
     * while queued; once sent, its packet id, and for QoS 2 whether PUBREC came back (PUBREL sent).
     */
    public static byte[] delivery(Delivery d, long messageId, int packetId, boolean released) {
        Writer w = new Writer().writeByte(DELIVERY_VERSION).writeLong(messageId).writeByte(d.qos())
                .writeBoolean(d.retain()).writeInt(d.subscriptionIds().size());
        for (int id : d.subscriptionIds()) {
            w.writeInt(id);
        }
        return w.writeString(d.shareGroup()).writeString(d.shareFilter()).writeInt(packetId).writeBoolean(released)
                .toByteArray();
    }

    static long messageIdOfDelivery(byte[] record) {
        return ByteBuffer.wrap(record, 1, 8).getLong();
    }

    /** A delivery read back, with its flight state. */
    public record StoredDelivery(long messageId, int qos, boolean retain, List<Integer> subscriptionIds,
                                 String shareGroup, String shareFilter, int packetId, boolean released) {

        public Delivery toDelivery(Message m, byte[] key) {
            return new Delivery(m, qos, retain, subscriptionIds, shareGroup, shareFilter,
                    new Delivery.Stored(key, messageId));
        }
    }

    public static StoredDelivery readDelivery(byte[] record) {
        Reader r = new Reader(record);
        int version = r.readByte();
        if (version != DELIVERY_VERSION) {
            throw new IllegalStateException("a delivery record of version " + version + " is not readable here");
        }
        long id = r.readLong();
        int qos = r.readByte();
        boolean retain = r.readBoolean();
        int n = r.readInt();
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(r.readInt());
        }
        return new StoredDelivery(id, qos, retain, List.copyOf(ids), r.readString(), r.readString(), r.readInt(),
                r.readBoolean());
    }
}
