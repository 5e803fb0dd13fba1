package io.dioring.child;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

/**
 * A subject for {@link ChildJvmTest}: behaves as the argument says, so the harness can be
 * shown to tell a result, a crash, a hang and a skip apart.
 */
public final class HarnessSubject {
    private HarnessSubject() {}

    public static void main(String[] args) {
        switch (args[0]) {
            case "RESULT" -> Report.run(report -> report.put("answer", 42).put("text", "tab\there"));
            case "CRASH" -> Report.run(report -> {
                // A store to address 0: SIGSEGV, as the kernel writing freed memory ends.
                MemorySegment.NULL.reinterpret(8).set(ValueLayout.JAVA_LONG, 0, 1L);
                report.put("survived", true);
            });
            case "STEP_HANGS" -> Report.run(report -> {
                report.put("before", "yes");
                report.within(Duration.ofMillis(200), "a sleep that outlives its limit", () -> Thread.sleep(60_000));
            });
            case "NEVER_ENDS" -> {
                while (true) {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        // keep hanging
                    }
                }
            }
            case "SKIP" -> Report.skip("nothing to test here");
            case "THROWS" -> Report.run(report -> {
                throw new IllegalStateException("the subject's own bug");
            });
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
