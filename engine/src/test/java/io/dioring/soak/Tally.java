package io.dioring.soak;

import java.util.concurrent.atomic.AtomicLong;

/** What the soak counted; every failure is printed as it happens, naming file, offset, operation. */
final class Tally {
    private static final int PRINT_AT_MOST = 50;
    final AtomicLong ops = new AtomicLong();
    final AtomicLong lost = new AtomicLong();
    final AtomicLong corrupt = new AtomicLong();
    final AtomicLong expectedErrors = new AtomicLong();

    void ops(int n) {
        ops.addAndGet(n);
    }

    void lost(String what) {
        if (lost.incrementAndGet() <= PRINT_AT_MOST) {
            System.out.println("soak: LOST " + what);
        }
    }

    void corrupt(String what) {
        if (corrupt.incrementAndGet() <= PRINT_AT_MOST) {
            System.out.println("soak: CORRUPT " + what);
        }
    }
}
