package io.dioring.channel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The {@link MemorySegment} over a buffer's remaining bytes, remembered per thread for the
 * last buffer, position and limit it was asked for: a thread that reads again and again
 * into the same buffer (the usual loop; direct or heap) gets the same segment back and
 * allocates nothing for it per I/O ({@link MemorySegment#ofBuffer} allocates a segment and
 * a scope each time).
 *
 * <p>The cost: each thread keeps its last buffer reachable until it uses another one or
 * ends (a virtual thread's entry goes with it), as the JDK's own per-thread temporary
 * buffer cache does.
 */
final class BufferViews {
    private static final ThreadLocal<BufferViews> LAST = ThreadLocal.withInitial(BufferViews::new);

    private ByteBuffer buffer;
    private int position;
    private int limit;
    private MemorySegment segment;

    private BufferViews() {}

    /** {@code buffer}'s bytes from its position to its limit. */
    static MemorySegment remaining(ByteBuffer buffer) {
        BufferViews last = LAST.get();
        int position = buffer.position();
        int limit = buffer.limit();
        if (last.buffer != buffer || last.position != position || last.limit != limit) {
            last.segment = MemorySegment.ofBuffer(buffer);
            last.buffer = buffer;
            last.position = position;
            last.limit = limit;
        }
        return last.segment;
    }
}
