package io.dioring;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Test gate: io_uring must be usable, or the test is skipped with the cause printed. The one
 * copy of the check: every engine test that needs a kernel ring calls it.
 */
public final class Kernel {
    private Kernel() {}

    public static void assumeIoUring() {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
    }
}
