package io.dioring.channel;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.IoEngine;
import java.nio.ByteBuffer;

/** Shared test helpers: the io_uring gate and buffers of every kind. */
final class ChannelTests {
    private ChannelTests() {}

    static void assumeIoUring() {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
    }

    /** A direct buffer whose address is a multiple of 4096. */
    static ByteBuffer alignedDirect(int capacity) {
        return ByteBuffer.allocateDirect(capacity + 8192).alignedSlice(4096).limit(capacity).slice();
    }
}
