package io.dioring.child;

import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The child side of {@link ChildJvm}: a subject records what it observed as fields, and
 * prints them as one {@code RESULT\tkey=value\t...} line when it ends, however it ends.
 *
 * <p>Every step that could hang runs under {@link #within}: when the limit passes, the
 * watchdog records {@code hang=<step>}, prints every thread's stack to stderr and the RESULT
 * line so far to stdout, and halts the JVM with {@link #EXIT_HUNG} — the test then fails
 * naming the step, instead of only timing out.
 */
public final class Report {
    /** Exit status when a step did not finish within its limit. */
    public static final int EXIT_HUNG = 3;
    /** Exit status when the subject threw something it did not expect. */
    public static final int EXIT_ERROR = 1;
    /** The limit for a whole subject: a backstop below {@link ChildJvm}'s own timeout. */
    private static final Duration WHOLE_SUBJECT = Duration.ofSeconds(50);

    private final Map<String, String> fields = new LinkedHashMap<>();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "subject-watchdog");
        t.setDaemon(true);
        return t;
    });
    private final List<Runnable> hangHooks = new CopyOnWriteArrayList<>();
    private boolean printed;

    /** The body of a subject's {@code main}. */
    @FunctionalInterface
    public interface Body {
        void run(Report report) throws Exception;
    }

    /** A step that may block. */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private Report() {}

    /**
     * Runs a subject: {@code body} records fields; then the RESULT line is printed and the
     * JVM exits 0 (or {@link #EXIT_ERROR} with {@code error=...} if the body threw).
     */
    public static void run(Body body) {
        Report report = new Report();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            // Only reached for threads the subject did not give a handler of its own.
            System.err.println("uncaught in " + t.getName() + ":");
            e.printStackTrace();
        });
        int status = 0;
        try {
            report.within(WHOLE_SUBJECT, "the subject as a whole", () -> body.run(report));
        } catch (Throwable t) {
            report.put("error", t.toString());
            t.printStackTrace();
            status = EXIT_ERROR;
        }
        report.print();
        System.exit(status);
    }

    /** Records a field; tabs and line breaks in the value become spaces. */
    public synchronized Report put(String key, Object value) {
        fields.put(key, String.valueOf(value).replaceAll("[\t\r\n]+", " "));
        return this;
    }

    /** A field recorded earlier, or null. */
    public synchronized String get(String key) {
        return fields.get(key);
    }

    /**
     * Runs {@code step} on the calling thread (an OwnedRing may only be driven by its
     * owner); if it has not returned after {@code limit}, the subject is stopped as hung.
     */
    public void within(Duration limit, String what, Step step) throws Exception {
        ScheduledFuture<?> alarm = watchdog.schedule(() -> hung(what, limit), limit.toMillis(),
                TimeUnit.MILLISECONDS);
        try {
            step.run();
        } finally {
            alarm.cancel(false);
        }
    }

    /**
     * Runs {@code hook} when a step hangs, before the RESULT line is printed: it records
     * what the subject has counted so far (the step that would have recorded it never ends).
     */
    public void onHang(Runnable hook) {
        hangHooks.add(hook);
    }

    /** As {@link #within}, for a thread the subject started: joins it, or stops the subject as hung. */
    public void joinWithin(Duration limit, String what, Thread thread) throws Exception {
        within(limit, what, thread::join);
    }

    private void hung(String what, Duration limit) {
        put("hang", what + " (limit " + limit.toMillis() + " ms)");
        for (Runnable hook : hangHooks) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                put("hangHookFailed", e);
            }
        }
        PrintStream err = System.err;
        err.println("HUNG: " + what + " did not return within " + limit.toMillis() + " ms; every thread:");
        Thread.getAllStackTraces().forEach((t, stack) -> {
            err.println("\"" + t.getName() + "\" " + t.getState());
            for (StackTraceElement e : stack) {
                err.println("\tat " + e);
            }
        });
        print();
        Runtime.getRuntime().halt(EXIT_HUNG); // no shutdown hooks: one of them could hang too
    }

    private synchronized void print() {
        if (printed) {
            return;
        }
        printed = true;
        StringBuilder line = new StringBuilder(ChildResult.RESULT_PREFIX);
        fields.forEach((k, v) -> line.append('\t').append(k).append('=').append(v));
        System.out.println(line);
        System.out.flush();
        System.err.flush();
    }

    /** Prints the SKIPPED line the test turns into a skip, and exits 0. */
    public static void skip(String reason) {
        System.out.println(ChildResult.SKIPPED_PREFIX + reason);
        System.out.flush();
        System.exit(0);
    }
}
