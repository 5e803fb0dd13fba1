package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IoBuffersPoolTest {
    @Test
    void givenBackBuffersAreReusedAlignedAndCounted() {
        try (Arena arena = Arena.ofShared()) {
            IoBuffers pool = new IoBuffers(arena, 1 << 20);
            MemorySegment a = pool.take(5000);
            assertEquals(5000, a.byteSize());
            assertEquals(0, a.address() % 4096, "aligned");
            assertEquals(1, pool.takenCount());
            pool.give(a);
            assertEquals(0, pool.takenCount());
            MemorySegment b = pool.take(8192);
            assertEquals(a.address(), b.address(), "the idle 8 KiB buffer is reused");
            MemorySegment c = pool.take(100);
            assertNotEquals(b.address(), c.address());
            assertEquals(8192 + 4096, pool.pooledBytes());
        }
    }

    @Test
    void misuseIsRefusedWithTheRule() {
        try (Arena arena = Arena.ofShared(); Arena other = Arena.ofConfined()) {
            IoBuffers pool = new IoBuffers(arena, 1 << 20);
            MemorySegment a = pool.take(4096);
            pool.give(a);
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> pool.give(a));
            assertTrue(twice.getMessage().contains("given back already"), twice.getMessage());
            MemorySegment foreign = other.allocate(4096, 4096);
            assertThrows(IllegalArgumentException.class, () -> pool.give(foreign));
            MemorySegment unpooled = pool.allocate(4096);
            assertThrows(IllegalArgumentException.class, () -> pool.give(unpooled));
            MemorySegment b = pool.take(8192);
            assertThrows(IllegalArgumentException.class, () -> pool.give(b.asSlice(4096)));
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> pool.take(0));
            assertTrue(size.getMessage().contains("size 0"), size.getMessage());
        }
    }

    @Test
    void theLimitBoundsWhatThePoolTakesFromTheArena() {
        try (Arena arena = Arena.ofShared()) {
            IoBuffers pool = new IoBuffers(arena, 64 * 1024);
            List<MemorySegment> taken = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                taken.add(pool.take(4096));
            }
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> pool.take(4096));
            assertTrue(full.getMessage().contains("exhausted"), full.getMessage());
            pool.give(taken.remove(0));
            taken.add(pool.take(4096)); // an idle one is always handed out
            assertEquals(16, pool.takenCount());
        }
    }

    @Test
    void manyThreadsTakeAndGiveWithoutLosingOrDoublingABuffer() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            IoBuffers pool = new IoBuffers(arena, 64L << 20);
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread[] threads = new Thread[8];
            for (int t = 0; t < threads.length; t++) {
                int id = t;
                threads[t] = Thread.ofPlatform().uncaughtExceptionHandler((th, e) -> failure.set(e)).start(() -> {
                    for (int i = 0; i < 20_000; i++) {
                        MemorySegment s = pool.take(4096 << (i % 3));
                        s.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, id);
                        if (s.get(java.lang.foreign.ValueLayout.JAVA_INT, 0) != id) {
                            throw new AssertionError("a buffer was handed to two threads at once");
                        }
                        pool.give(s);
                    }
                });
            }
            for (Thread t : threads) {
                t.join(20_000);
                assertTrue(!t.isAlive(), "thread finished");
            }
            assertEquals(null, failure.get(), "no thread failed");
            assertEquals(0, pool.takenCount());
            assertTrue(pool.pooledBytes() <= 8L * (4096 + 8192 + 16384), "no more than one per thread and class");
        }
    }
}
