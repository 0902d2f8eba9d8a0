package io.anchormq.bench.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class MqttFramesTest {

    private static long decode(int... bytes) {
        ByteBuf buf = Unpooled.buffer();
        for (int b : bytes) {
            buf.writeByte(b);
        }
        return MqttFrames.variableByteInteger(buf, 0, buf.writerIndex());
    }

    @Test
    void variableByteIntegersAsTheSpecificationsTableHasThem() {
        // MQTT 5.0 section 1.5.5 / 3.1.1 section 2.2.3: the boundaries of one to four bytes
        assertEquals(0, MqttFrames.value(decode(0x00)));
        assertEquals(1, MqttFrames.bytes(decode(0x00)));
        assertEquals(127, MqttFrames.value(decode(0x7F)));
        assertEquals(128, MqttFrames.value(decode(0x80, 0x01)));
        assertEquals(2, MqttFrames.bytes(decode(0x80, 0x01)));
        assertEquals(16_383, MqttFrames.value(decode(0xFF, 0x7F)));
        assertEquals(16_384, MqttFrames.value(decode(0x80, 0x80, 0x01)));
        assertEquals(268_435_455, MqttFrames.value(decode(0xFF, 0xFF, 0xFF, 0x7F)));
        assertEquals(4, MqttFrames.bytes(decode(0xFF, 0xFF, 0xFF, 0x7F)));
    }

    @Test
    void incompleteAndOverlongIntegersAreTold() {
        assertEquals(MqttFrames.INCOMPLETE, decode(0x80));
        assertEquals(MqttFrames.INCOMPLETE, decode());
        assertEquals(MqttFrames.MALFORMED, decode(0xFF, 0xFF, 0xFF, 0xFF, 0x01));
    }
}
