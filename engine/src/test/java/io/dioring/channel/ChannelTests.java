package io.dioring.channel;


import java.nio.ByteBuffer;

/** Shared test helpers: buffers of every kind. */
final class ChannelTests {
    private ChannelTests() {}

    /** A direct buffer whose address is a multiple of 4096. */
    static ByteBuffer alignedDirect(int capacity) {
        return ByteBuffer.allocateDirect(capacity + 8192).alignedSlice(4096).limit(capacity).slice();
    }
}
