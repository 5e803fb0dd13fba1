package io.dioring.reap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ResubmitQueueTest {
    @Test
    void slotsComeBackInTheOrderTheyWentInAcrossTheWrap() {
        ResubmitQueue q = new ResubmitQueue(3);
        q.push(2);
        q.push(0);
        assertEquals(2, q.poll());
        q.push(1);
        q.push(2);
        assertEquals(3, q.size());
        assertEquals(0, q.poll());
        assertEquals(1, q.poll());
        assertEquals(2, q.poll());
        assertTrue(q.isEmpty());
    }

    @Test
    void itsBoundsAreAsserted() {
        ResubmitQueue q = new ResubmitQueue(2);
        assertThrows(AssertionError.class, q::poll, "nothing to resubmit");
        assertThrows(AssertionError.class, () -> q.push(2), "no such slot");
        q.push(0);
        q.push(1);
        assertThrows(AssertionError.class, () -> q.push(1), "more resubmissions than slots");
        q.clear();
        assertTrue(q.isEmpty());
    }
}
