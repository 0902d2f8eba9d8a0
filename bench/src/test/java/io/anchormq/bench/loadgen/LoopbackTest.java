package io.anchormq.bench.loadgen;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LoopbackTest {

    @Test
    void onlyLoopbackAddressesAreAccepted() {
        assertDoesNotThrow(() -> Loopback.require("127.0.0.1"));
        assertDoesNotThrow(() -> Loopback.require("127.0.0.2"));
        assertDoesNotThrow(() -> Loopback.require("::1"));
        // literals only: nothing here resolves a name or sends a packet
        assertThrows(IllegalArgumentException.class, () -> Loopback.require("192.0.2.1"));
        assertThrows(IllegalArgumentException.class, () -> Loopback.require("10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> Loopback.require("0.0.0.0"));
    }
}
