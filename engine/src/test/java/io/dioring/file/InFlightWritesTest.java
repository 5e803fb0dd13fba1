package io.dioring.file;

import io.dioring.DioAlignment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.request.IoRequest;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class InFlightWritesTest {
    private static final FileState FILE = new FileState(-1, Path.of("/ordering"), true, true, true,
            new DioAlignment(512, 512, "test"), 1 << 20, 1 << 30);
    private static final MemorySegment BLOCK = MemorySegment.NULL.reinterpret(4096);

    private static IoRequest write(long offset) {
        return new IoRequest().set(IoRequest.WRITE, FILE, offset, BLOCK, -1);
    }

    private static IoRequest read(long offset) {
        return new IoRequest().set(IoRequest.READ, FILE, offset, BLOCK, -1);
    }

    private static IoRequest sync(int op) {
        return new IoRequest().set(op, FILE, 0, (MemorySegment) null, -1);
    }

    @Test
    void aSyncIsABarrierBehindEveryEarlierWriteWhateverItsRange() {
        for (int op : new int[] {IoRequest.FSYNC, IoRequest.FDATASYNC}) {
            InFlightWrites w = new InFlightWrites();
            assertTrue(w.admit(sync(op)), "nothing in flight: a sync goes at once");
            IoRequest a = write(0);
            IoRequest b = write(1 << 20);
            assertTrue(w.admit(a));
            assertTrue(w.admit(b));
            IoRequest barrier = sync(op);
            assertFalse(w.admit(barrier), "held behind both writes");
            IoRequest later = write(8 << 20);
            assertTrue(w.admit(later), "a later write does not wait for the barrier");
            assertNull(w.onComplete(b), "still behind a");
            assertNull(w.onComplete(a), "every earlier write completed: their deliveries are still to come");
            assertEquals(1, w.awaitingDeliveries());
            assertNull(delivered(a), "b's delivery is still to come");
            assertSame(barrier, delivered(b), "released once every earlier write is delivered");
            assertNull(w.onComplete(later));
            assertNull(delivered(later));
            assertEquals(0, w.count());
            assertEquals(0, w.heldCount());
        }
    }

    /** The write's deliverer takes its hold and says it was delivered: what that released. */
    private static IoRequest delivered(IoRequest write) {
        DeliveryHold<IoRequest> hold = write.order().takeDeliveryHold();
        assertNotNull(hold, "a completed write holds its barriers until it is delivered");
        return hold.delivered();
    }

    @Test
    void aSyncAfterWritesThatCompletedWaitsOnlyForTheirDeliveries() {
        InFlightWrites w = new InFlightWrites();
        IoRequest a = write(0);
        assertTrue(w.admit(a));
        assertNull(w.onComplete(a));
        IoRequest barrier = sync(IoRequest.FDATASYNC);
        assertFalse(w.admit(barrier), "a completed, not delivered");
        assertSame(barrier, delivered(a));
        assertTrue(w.admit(sync(IoRequest.FSYNC)), "nothing undelivered: goes at once");
        IoRequest r = read(0);
        IoRequest b = write(4096);
        assertTrue(w.admit(b));
        assertNull(w.onComplete(b));
        assertTrue(w.admit(r), "a read never waits for a delivery");
        assertNull(delivered(b));
        assertEquals(0, w.heldCount());
    }

    @Test
    void writesThatCompleteAfterASyncBeganToWaitNeverHoldIt() {
        InFlightWrites w = new InFlightWrites();
        IoRequest w1 = write(0);
        assertTrue(w.admit(w1));
        assertNull(w.onComplete(w1));
        IoRequest s1 = sync(IoRequest.FSYNC);
        assertFalse(w.admit(s1), "waits for w1's delivery");
        IoRequest w2 = write(4096);
        assertTrue(w.admit(w2));
        assertNull(w.onComplete(w2));
        IoRequest s2 = sync(IoRequest.FSYNC);
        assertFalse(w.admit(s2), "waits for w1's and w2's deliveries");
        IoRequest w3 = write(8192);
        assertTrue(w.admit(w3));
        assertNull(w.onComplete(w3));
        assertSame(s1, delivered(w1), "w2 and w3 completed after s1 began to wait");
        assertEquals(1, w.awaitingDeliveries());
        IoRequest w4 = write(0);
        assertTrue(w.admit(w4));
        assertNull(w.onComplete(w4));
        assertNull(delivered(w2), "w3, completed before s2 began to wait, is still to be delivered");
        assertSame(s2, delivered(w3), "w4, undelivered, completed after s2 began to wait");
        assertNull(delivered(w4));
        assertEquals(0, w.heldCount());
    }

    @Test
    void aRequestIsHeldUntilEveryOverlappingEarlierWriteIsDone() {
        InFlightWrites w = new InFlightWrites();
        IoRequest first = write(0);
        IoRequest second = write(2048);
        IoRequest elsewhere = write(1 << 20);
        assertTrue(w.admit(first));
        assertFalse(w.admit(second), "overlaps the first");
        assertTrue(w.admit(elsewhere));
        IoRequest r = new IoRequest().set(IoRequest.READ, FILE, 0, MemorySegment.NULL.reinterpret(8192), -1);
        assertFalse(w.admit(r), "overlaps both earlier writes");
        assertNull(w.onComplete(elsewhere), "it held nothing");
        IoRequest released = w.onComplete(first);
        assertSame(second, released, "the second write goes; the read still waits for it");
        assertNull(released.order().nextHeld);
        assertSame(r, w.onComplete(second));
        assertTrue(w.admit(read(0)), "nothing in flight: a read goes without a lock");
    }

    @Test
    void completingAWriteCostsOneComparisonPerHeldRequest() {
        // 4,000 writes to one block: each is held behind all earlier ones. Before, every
        // completion re-scanned every write in flight for every held request (about n^3 / 2
        // comparisons in all); now a completion compares once per held request.
        int n = 4_000;
        InFlightWrites w = new InFlightWrites();
        IoRequest[] writes = new IoRequest[n];
        for (int i = 0; i < n; i++) {
            writes[i] = write(0);
            assertEquals(i == 0, w.admit(writes[i]));
        }
        long admitted = w.comparisons();
        assertEquals((long) n * (n - 1) / 2, admitted, "admission compares with each write in flight once");
        IoRequest next = writes[0];
        for (int i = 0; i < n; i++) {
            assertSame(writes[i], next, "released in submission order");
            next = w.onComplete(next);
        }
        assertNull(next);
        long releasing = w.comparisons() - admitted;
        assertTrue(releasing <= (long) n * n / 2, "release comparisons " + releasing + " within n^2/2");
        assertEquals(0, w.count());
    }
}
