package io.dioring.reap;

import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.libc_h;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import io.dioring.ring.Ring;
import io.dioring.ring.RingOptions;
import io.dioring.ring.RingSetupException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;

/**
 * The default mode: one event-loop thread per ring. It drains a bounded multi-producer
 * inbox, submits, reaps and dispatches. Other threads (virtual ones too) put requests in
 * the inbox and, if the ring thread may be asleep in io_uring_enter, wake it by writing
 * the eventfd it keeps a read armed on.
 *
 * <p>The ring is created on this thread, so SINGLE_ISSUER and DEFER_TASKRUN hold.
 */
public final class RingThread implements RequestSink {
    private static final int OP_READ = io_uring_h.IORING_OP_READ();
    private static final long WAKE = 1;
    private static final ThreadLocal<RingThread> CURRENT = new ThreadLocal<>();
    /** The 8 bytes written to the eventfd: the value 1. Never freed, never changed. */
    private static final MemorySegment ONE = Arena.global().allocate(ValueLayout.JAVA_LONG);

    static {
        ONE.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    private static final int RUNNING = 0;
    private static final int CLOSING = 1;
    private static final int CANCELLING = 2;
    private static final int CLOSED = 3;

    private final ArrayBlockingQueue<IoRequest> inbox;
    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    private final int entries;
    private final int maxInFlight;
    private final RingOptions options;
    private final Executor completionExecutor;
    /** The kernel writes the eventfd counter here; lives as long as the process (8 bytes). */
    private final MemorySegment wakeBuffer = Arena.global().allocate(ValueLayout.JAVA_LONG);

    private volatile boolean sleeping;
    private volatile int state = RUNNING;
    private volatile Throwable startFailure;
    private volatile Ring ring;
    private volatile RingLoop loop;
    private int eventFd = -1;
    private boolean wakeArmed;
    private volatile long wakeups;

    public RingThread(String name, int entries, int maxInFlight, RingOptions options, Executor completionExecutor,
            int inboxCapacity) throws RingSetupException {
        this.entries = entries;
        this.maxInFlight = maxInFlight;
        this.options = options;
        this.completionExecutor = completionExecutor;
        this.inbox = new ArrayBlockingQueue<>(inboxCapacity);
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
        thread.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RingSetupException("interrupted while the ring thread started", Errno.EINTR);
        }
        Throwable failure = startFailure;
        if (failure instanceof RingSetupException rse) {
            throw rse;
        } else if (failure != null) {
            throw new IllegalStateException("ring thread failed to start", failure);
        }
    }

    /** The ring thread the calling thread is, or null. */
    public static RingThread current() {
        return CURRENT.get();
    }

    /** The ring (for reading its set-up and counters). */
    public Ring ring() {
        return ring;
    }

    /** The loop (counters only; it belongs to the ring thread). */
    public RingLoop loop() {
        return loop;
    }

    /** Times a submitter had to wake the ring thread. */
    public long wakeups() {
        return wakeups;
    }

    /**
     * Hands a request to the ring; blocks while the inbox is full (back-pressure).
     *
     * @throws IllegalStateException if the ring is closed
     */
    @Override
    public void accept(IoRequest r) {
        if (Thread.currentThread() == thread) {
            loop.add(r); // released by an ordering hold on our own thread: no queue needed
            return;
        }
        if (state != RUNNING) {
            throw new IllegalStateException("engine closed");
        }
        try {
            inbox.put(r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for room in the ring's queue", e);
        }
        wakeIfSleeping();
        if (state == CLOSED) {
            failQueued(); // we raced with close: nobody else will look at the inbox again
        }
    }

    private void wakeIfSleeping() {
        if (sleeping) {
            wakeups++;
            Libc.write(eventFd, ONE);
        }
    }

    /**
     * Stops the ring: with {@code cancel} false, waits for everything queued and in flight
     * to finish; with {@code cancel} true, cancels what is in flight (IORING_OP_ASYNC_CANCEL)
     * and fails what is queued. Returns at once when called on the ring thread itself
     * (from an inline callback): the ring then closes when it next looks.
     */
    public void close(boolean cancel) {
        synchronized (this) {
            if (state == RUNNING) {
                state = cancel ? CANCELLING : CLOSING;
            } else if (cancel && state == CLOSING) {
                state = CANCELLING;
            }
        }
        if (eventFd >= 0 && state != CLOSED) {
            Libc.write(eventFd, ONE);
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true; // the ring's memory must not be freed under the kernel
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        CURRENT.set(this);
        try {
            ring = Ring.create(entries, options);
            ring.registerRingFd();
            eventFd = Libc.eventfd(0, libc_h.EFD_CLOEXEC());
            if (eventFd < 0) {
                ring.close();
                throw new RingSetupException("eventfd for the ring thread's wake-ups", eventFd);
            }
            loop = new RingLoop(ring, maxInFlight, completionExecutor, this::onReserved);
            // Requests that callbacks queue while a reap runs go out at once, as on an owned
            // ring (see RingLoop.submitBatch): inline callbacks add them here, on this thread;
            // deferred ones put them in the inbox from executor threads, drained between CQEs.
            loop.submitBatch(1);
            loop.refill(this::drainInbox);
        } catch (Throwable t) {
            startFailure = t;
            started.countDown();
            return;
        }
        started.countDown();
        try {
            eventLoop();
        } catch (Throwable t) {
            Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), t);
        } finally {
            state = CLOSED;
            failQueued();
            ring.close();
            Libc.close(eventFd);
        }
    }

    private void eventLoop() {
        boolean cancelSent = false;
        while (true) {
            drainInbox();
            loop.prepare();
            int s = state;
            if (s == CANCELLING && !cancelSent) {
                failQueued();
                cancelSent = loop.cancelAll();
            }
            if (s != RUNNING && inbox.isEmpty() && !loop.busy()) {
                if (!wakeArmed) {
                    return;
                }
                // Our own wake-up read is the last thing in flight: complete it so no SQE
                // refers to our memory when the ring goes.
                Libc.write(eventFd, ONE);
            }
            if (!wakeArmed && s == RUNNING) {
                wakeArmed = loop.prepareReserved(OP_READ, eventFd, wakeBuffer.address(), 8, WAKE);
            }
            boolean wait = inbox.isEmpty() && wakeArmed;
            if (wait) {
                sleeping = true;
                if (!inbox.isEmpty() || state != s) {
                    wait = false; // a submitter got in before it could see us asleep
                }
            }
            loop.submit(wait);
            sleeping = false;
            loop.reap();
        }
    }

    private void onReserved(long userData) {
        if (userData == WAKE) {
            wakeArmed = false;
        }
    }

    private void drainInbox() {
        IoRequest r;
        while ((r = inbox.poll()) != null) {
            if (state == CANCELLING) {
                fail(r);
            } else {
                loop.add(r);
            }
        }
    }

    private void failQueued() {
        IoRequest r;
        while ((r = inbox.poll()) != null) {
            fail(r);
        }
    }

    private static void fail(IoRequest r) {
        r.failure = new CancellationException(r.opName() + " " + r.file.path() + " at offset " + r.offset
                + " cancelled: the engine was closed");
        r.result = -Errno.ECANCELED;
        r.completed = true;
        if (r.listener != null) {
            r.listener.onComplete(r);
        }
        r.run();
    }
}
