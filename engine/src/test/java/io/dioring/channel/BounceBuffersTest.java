package io.dioring.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bounce-buffer pool: size classes, alignment, reuse, bounds. */
class BounceBuffersTest {
    @Test
    void buffersComeInTwoAlignedSizeClassesAndAreReused() {
        BounceBuffers pool = new BounceBuffers();
        MemorySegment small = pool.take(4096, 512);
        MemorySegment large = pool.take(BounceBuffers.SMALL_BYTES + 1, 4096);
        assertEquals(BounceBuffers.SMALL_BYTES, small.byteSize());
        assertEquals(BounceBuffers.LARGE_BYTES, large.byteSize());
        assertEquals(0, small.address() % BounceBuffers.ALIGNMENT);
        assertEquals(0, large.address() % BounceBuffers.ALIGNMENT);
        pool.give(small);
        pool.give(large);
        assertSame(small, pool.take(100, 512), "a given-back buffer is taken again");
        assertSame(large, pool.take(BounceBuffers.LARGE_BYTES, 512));
    }

    @Test
    void aStricterAlignmentGetsAOneOffBuffer() {
        BounceBuffers pool = new BounceBuffers();
        MemorySegment b = pool.take(1000, 65536);
        assertEquals(0, b.address() % 65536);
        assertTrue(b.byteSize() >= 1000);
    }

    @Test
    void theFreeListIsBoundedAndSizesAreChecked() {
        BounceBuffers pool = new BounceBuffers();
        List<MemorySegment> taken = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            taken.add(pool.take(10, 512));
        }
        taken.forEach(pool::give); // more than the slots: the rest are dropped for the GC to free
        MemorySegment again = pool.take(10, 512);
        assertTrue(taken.contains(again));
        pool.give(again);
        MemorySegment foreign = java.lang.foreign.Arena.ofAuto().allocate(100, 4096);
        pool.give(foreign); // not of a size class: dropped, never handed out
        for (int i = 0; i < 600; i++) {
            assertNotSame(foreign, pool.take(100, 512));
        }
        assertThrows(IllegalArgumentException.class, () -> pool.take(0, 512));
        assertThrows(IllegalArgumentException.class, () -> pool.take(BounceBuffers.LARGE_BYTES + 1, 512));
    }
}
