package io.dioring.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BoundedQueueTest {
    @Test
    void fullAndEmptyAreStatesNotErrors() {
        for (int capacity : new int[] {1, 2, 3, 5, 8}) {
            BoundedQueue<Integer> q = new BoundedQueue<>(capacity);
            assertTrue(q.capacity() >= capacity && q.capacity() >= 2 && Integer.bitCount(q.capacity()) == 1);
            assertNull(q.poll());
            assertTrue(q.isEmpty());
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < q.capacity(); i++) {
                    assertTrue(q.offer(i), "offer " + i + " of " + q.capacity());
                }
                assertFalse(q.offer(99), "full");
                assertEquals(q.capacity(), q.size());
                for (int i = 0; i < q.capacity(); i++) {
                    assertEquals(i, q.poll(), "FIFO");
                }
                assertNull(q.poll(), "empty again");
            }
        }
    }

    @Test
    void everyElementOfManyProducersReachesOneOfManyConsumersOnce() throws Exception {
        int producers = 4;
        int consumers = 3;
        int perProducer = 200_000;
        BoundedQueue<Integer> q = new BoundedQueue<>(64);
        BitSet[] seen = new BitSet[consumers];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[producers + consumers];
        int total = producers * perProducer;
        java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();
        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            threads[p] = Thread.ofPlatform().uncaughtExceptionHandler((t, e) -> failure.set(e)).start(() -> {
                for (int i = 0; i < perProducer; i++) {
                    while (!q.offer(base + i)) {
                        Thread.onSpinWait();
                    }
                }
            });
        }
        for (int c = 0; c < consumers; c++) {
            BitSet mine = seen[c] = new BitSet(total);
            threads[producers + c] = Thread.ofPlatform().uncaughtExceptionHandler((t, e) -> failure.set(e)).start(() -> {
                while (taken.get() < total) {
                    Integer e = q.poll();
                    if (e == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    if (mine.get(e)) {
                        throw new AssertionError("element " + e + " taken twice");
                    }
                    mine.set(e);
                    taken.incrementAndGet();
                }
            });
        }
        for (Thread t : threads) {
            t.join(50_000);
            assertFalse(t.isAlive(), "thread " + t + " finished");
        }
        assertNull(failure.get());
        BitSet all = new BitSet(total);
        for (BitSet s : seen) {
            assertFalse(all.intersects(s), "an element reached two consumers");
            all.or(s);
        }
        assertEquals(total, all.cardinality(), "every element arrived");
        assertTrue(q.isEmpty());
    }
}
