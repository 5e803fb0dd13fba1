package io.dioring.reap;

/**
 * Slots whose slice must be issued again (short, EAGAIN/EINTR), waiting for SQ space, in the
 * order they came back. Bounded by the slot table: a slot is in it at most once, so it never
 * holds more than the ring's in-flight bound; the bounds are asserted.
 */
final class ResubmitQueue {
    private final int[] slots;
    private int head;
    private int count;

    ResubmitQueue(int capacity) {
        this.slots = new int[capacity];
    }

    /** Queues {@code slot} to be issued again. */
    void push(int slot) {
        assert count < slots.length : "more resubmissions than slots: " + count + " of " + slots.length;
        assert slot >= 0 && slot < slots.length : "no such slot: " + slot;
        slots[(head + count) % slots.length] = slot;
        count++;
    }

    /** The oldest slot waiting. */
    int poll() {
        assert count > 0 : "nothing to resubmit";
        int slot = slots[head];
        head = (head + 1) % slots.length;
        count--;
        return slot;
    }

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Forgets everything waiting (the ring failed for good). */
    void clear() {
        count = 0;
    }
}
