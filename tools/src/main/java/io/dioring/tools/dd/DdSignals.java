package io.dioring.tools.dd;

import io.dioring.ffi.Libc;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/**
 * GNU dd's signal handling ({@code install_signal_handlers}, {@code process_signals}):
 * <ul>
 * <li>SIGUSR1 asks for the statistics: the copy prints them at its next step and goes on.
 * <li>SIGINT: the copy stops at its next step (the write in flight completes first, as a
 *     write(2) would), prints the statistics and dies by SIGINT, its default disposition
 *     restored, so the shell sees what GNU dd's death looks like (status 130, WIFSIGNALED).
 * <li>SIGTERM, SIGHUP: GNU dd does not catch them and dies at once; so does this, by the
 *     same signal, without running the JVM's shutdown sequence. The output is a prefix of
 *     the copy at every moment (see {@link RingBackend}), so nothing needs finishing.
 * </ul>
 * The JVM delivers a signal to a handler thread, not to the copying thread; the copy polls
 * {@link #pending()} between blocks. If the copy does not answer a SIGINT within a second
 * (it is blocked, say in a read from a terminal), the handler thread prints the statistics
 * last published and dies itself, as GNU dd's interrupted read would let it.
 */
final class DdSignals {
    static final int SIGHUP = 1;
    static final int SIGINT = 2;
    static final int SIGUSR1 = 10;
    static final int SIGTERM = 15;

    private static final long ANSWER_TIMEOUT_MS = 1000;

    private final boolean installed;
    private volatile int interrupt;
    private final AtomicInteger infoRequests = new AtomicInteger();
    private final AtomicBoolean dying = new AtomicBoolean();
    private volatile Runnable lastWords = () -> {};

    private DdSignals(boolean installed) {
        this.installed = installed;
    }

    /** No signal handling (dd embedded in another program, or in-process tests). */
    static DdSignals none() {
        return new DdSignals(false);
    }

    /** Catches SIGINT, SIGUSR1, SIGTERM and SIGHUP for this process, as GNU dd does. */
    static DdSignals install() {
        DdSignals s = new DdSignals(true);
        Signal.handle(new Signal("INT"), sig -> s.onInterrupt(SIGINT));
        Signal.handle(new Signal("USR1"), sig -> s.infoRequests.incrementAndGet());
        Signal.handle(new Signal("TERM"), sig -> s.die(SIGTERM));
        Signal.handle(new Signal("HUP"), sig -> s.die(SIGHUP));
        return s;
    }

    /** Whether a signal waits for the copy's attention. */
    boolean pending() {
        return interrupt != 0 || infoRequests.get() != 0;
    }

    /** The interrupting signal, or 0. */
    int interrupt() {
        return interrupt;
    }

    /** Takes one request for statistics; false if there is none. */
    boolean takeInfoRequest() {
        return infoRequests.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    /**
     * What the handler thread prints if the copy cannot answer an interrupt in time: dd's
     * statistics as last seen (the copy keeps this up to date cheaply: it reads its counters).
     */
    void setLastWords(Runnable printStatistics) {
        lastWords = printStatistics;
    }

    /**
     * Claims the interrupt handling for the copy; false if the handler thread already took
     * it, and then the copy only waits for the end ({@link #awaitDeath()}).
     */
    boolean claimInterrupt() {
        return dying.compareAndSet(false, true);
    }

    /** The process is being ended by a signal on another thread. */
    void awaitDeath() {
        parkUntilDeath();
    }

    private void onInterrupt(int sig) {
        interrupt = sig;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ANSWER_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            if (dying.get()) {
                return; // the copy handles it
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (dying.compareAndSet(false, true)) {
            lastWords.run();
            die(sig);
        }
    }

    /** Restores the default disposition of {@code sig} and sends it to this process. */
    void die(int sig) {
        if (!installed) {
            throw new IllegalStateException("signal " + sig + " without installed handlers");
        }
        if (Libc.signalDefault(sig) != 0 || Libc.kill(ProcessHandle.current().pid(), sig) != 0) {
            Runtime.getRuntime().halt(128 + sig);
        }
        parkUntilDeath();
    }

    private static void parkUntilDeath() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                // still dying
            }
        }
        Runtime.getRuntime().halt(1); // the signal never arrived: should not happen
    }
}
