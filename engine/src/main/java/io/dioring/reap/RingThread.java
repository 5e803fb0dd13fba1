package io.dioring.reap;

import io.dioring.deliver.Delivery;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.libc_h;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import io.dioring.ring.IoRing;
import io.dioring.ring.BufferSlabs;
import io.dioring.ring.Ring;
import io.dioring.ring.RingFailedException;
import io.dioring.split.Coalescer;
import io.dioring.RingSetupException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default mode: one event-loop thread per ring. It drains a bounded lock-free
 * multi-producer inbox ({@link Inbox}), submits, reaps and dispatches. Other threads
 * (virtual ones too) put requests in the inbox and, only if the ring thread may be asleep
 * in io_uring_enter, wake it by writing the eventfd it keeps a read armed on. A submitter
 * finding the inbox full parks until the ring thread has drained it (back-pressure); a
 * virtual thread parks without pinning its carrier.
 *
 * <p>The ring is created on this thread, so SINGLE_ISSUER and DEFER_TASKRUN hold.
 *
 * <h2>Every request completes once</h2>
 * <ul>
 * <li>A submitter that must wait for room and is interrupted gets InterruptedIOException
 *     and its request is not taken; one with its interrupt flag set is not refused while
 *     there is room.
 * <li>Requests released from ordering holds, or finished elsewhere and handed here to be
 *     delivered, come through {@link #release}, which never blocks (a ring thread releasing
 *     into another ring's full inbox could otherwise deadlock with it).
 * <li>If {@code io_uring_enter} fails for good ({@link RingFailedException}) or the loop
 *     throws, every queued and in-flight request fails with that errno, new work is refused
 *     with an exception naming the cause ({@link #failure()}), and the thread ends.
 * <li>The eventfd is closed only once no submitter can still be writing it (fd numbers are
 *     reused: a late write would land in someone else's file).
 * </ul>
 */
public final class RingThread implements EngineRing {
    private static final int OP_READ = io_uring_h.IORING_OP_READ();
    private static final long WAKE = 1;
    /** Our own SQEs that may be in flight beside the slices: the wake-up read and a cancel. */
    public static final int RESERVED_SQES = 2;
    /** The 8 bytes written to the eventfd: the value 1. Never freed, never changed. */
    private static final MemorySegment ONE = Arena.global().allocate(ValueLayout.JAVA_LONG);

    static {
        ONE.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    private static final int RUNNING = 0;
    private static final int CLOSING = 1;
    private static final int CANCELLING = 2;
    private static final int CLOSED = 3;

    /** Creates the ring, on the ring thread. */
    @FunctionalInterface
    public interface RingFactory {
        IoRing create() throws RingSetupException;
    }

    private final boolean kernelRing;
    private final Inbox inbox;
    /** Released and handed-back requests: never blocks the releasing thread. */
    private final ConcurrentLinkedQueue<IoRequest> released = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private final String name;
    private final CountDownLatch started = new CountDownLatch(1);
    private final int maxInFlight;
    private final RingFactory factory;
    private final Delivery delivery;
    /** The kernel writes the eventfd counter here; lives as long as the process (8 bytes). */
    private final MemorySegment wakeBuffer = Arena.global().allocate(ValueLayout.JAVA_LONG);
    /** Threads between deciding to write the eventfd and having written it. */
    private final AtomicInteger wakers = new AtomicInteger();

    /**
     * {@link #AWAKE}, {@link #ASLEEP} (about to wait, or waiting, in io_uring_enter) or
     * {@link #WOKEN} (asleep, and one submitter has written the eventfd already: the others
     * need not, since the ring thread drains the whole inbox when it wakes).
     */
    private final AtomicInteger sleepState = new AtomicInteger();
    private static final int AWAKE = 0;
    private static final int ASLEEP = 1;
    private static final int WOKEN = 2;
    private volatile int state = RUNNING;
    private volatile Throwable startFailure;
    private volatile Throwable failure;
    private volatile IoRing ring;
    private volatile RingLoop loop;
    private volatile int eventFd = -1;
    private boolean wakeArmed;
    private volatile long wakeups;

    /**
     * A ring thread on a kernel ring of {@code entries} SQEs.
     *
     * @param slabs the engine pool's slabs, registered with the ring as they appear; null for none
     */
    public RingThread(String name, int entries, io.dioring.RingOptions options, Delivery delivery,
            int inboxCapacity, BufferSlabs slabs) throws RingSetupException {
        this(name, () -> {
            // At least RESERVED_SQES entries: the CQ (twice the SQ) must hold our own SQEs and a slice.
            Ring r = Ring.create(Math.max(entries, RESERVED_SQES), options);
            r.registerRingFd();
            if (slabs != null) {
                r.registrations().follow(slabs); // on the ring thread: SINGLE_ISSUER takes it only from here
            }
            return r;
        }, 0, delivery, inboxCapacity, true);
    }

    /**
     * A ring thread on whatever ring {@code factory} makes (tests pass a simulated or
     * fault-injecting one).
     *
     * @param maxInFlight slices in flight at most; 0 for the CQ size less {@link #RESERVED_SQES}
     */
    public RingThread(String name, RingFactory factory, int maxInFlight, Delivery delivery, int inboxCapacity)
            throws RingSetupException {
        this(name, factory, maxInFlight, delivery, inboxCapacity, false);
    }

    private RingThread(String name, RingFactory factory, int maxInFlight, Delivery delivery, int inboxCapacity,
            boolean kernelRing) throws RingSetupException {
        this.kernelRing = kernelRing;
        this.name = name;
        this.factory = factory;
        this.maxInFlight = maxInFlight;
        this.delivery = delivery;
        this.inbox = new Inbox(name, inboxCapacity);
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
        thread.start();
        boolean interrupted = false;
        while (true) {
            try {
                started.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the thread is starting either way; wait for it
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable failed = startFailure;
        if (failed instanceof RingSetupException rse) {
            throw rse;
        } else if (failed != null) {
            throw new IllegalStateException("ring thread " + name + " failed to start", failed);
        }
    }

    /** The ring thread the calling thread is, or null. */
    public static RingThread current() {
        return RingThreads.current() instanceof RingThread rt ? rt : null;
    }

    @Override
    public boolean looksFree() {
        return true;
    }

    /** The kernel ring (set-up and counters), or null when it is a simulated one. */
    @Override
    public Ring ring() {
        return ring instanceof Ring r ? r : null;
    }

    /**
     * Whether this ring is the kernel's, for the files of the real system calls: a request
     * its submitter waits for anyway may then be made with those calls on the submitter's
     * thread instead ({@code DirectFile}'s extending writes). False for a simulated or
     * fault-injecting ring (tests), whose requests must all go through it.
     */
    @Override
    public boolean kernelRing() {
        return kernelRing;
    }

    /** The loop (counters only; it belongs to the ring thread). */
    @Override
    public RingLoop loop() {
        return loop;
    }

    /** Times a submitter had to wake the ring thread. */
    public long wakeups() {
        return wakeups;
    }

    /** Why the ring stopped working, or null while it is healthy (or was closed normally). */
    @Override
    public Throwable failure() {
        return failure;
    }

    /** Whether the thread has ended (closed, or failed). */
    public boolean isTerminated() {
        return !thread.isAlive();
    }

    @Override
    public void accept(IoRequest r) throws InterruptedIOException {
        if (Thread.currentThread() == thread) {
            loop.add(r); // an inline callback submitting on its own ring: no queue needed
            return;
        }
        checkRunning();
        if (!inbox.offer(r)) {
            inbox.waitForRoom(r, this::checkRunning, this::wake, 0);
        }
        wake();
        if (state == CLOSED) {
            failQueued(); // we raced with the end of the thread: nobody else will look at the inbox again
        }
    }

    @Override
    public void release(IoRequest r) {
        if (Thread.currentThread() == thread) {
            loop.add(r);
            return;
        }
        released.add(r);
        wake();
        if (state == CLOSED) {
            failQueued();
        }
    }

    private void checkRunning() {
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException(name + " failed and takes no more requests: " + f.getMessage(), f);
        }
        if (state != RUNNING) {
            throw new IllegalStateException("engine closed");
        }
    }

    /**
     * Writes the eventfd if the ring thread may sleep and nobody has since it began to;
     * never after the eventfd is closed. (The ring thread sets ASLEEP and then looks at the
     * inbox; a submitter puts its request in and then looks at the state: with both
     * sequentially consistent, a request is either seen by that look or wakes the thread.)
     */
    private void wake() {
        if (sleepState.get() != ASLEEP || !sleepState.compareAndSet(ASLEEP, WOKEN)) {
            return;
        }
        wakers.incrementAndGet();
        try {
            if (state != CLOSED) {
                wakeups++;
                Libc.write(eventFd, ONE);
            }
        } finally {
            wakers.decrementAndGet();
        }
    }

    /**
     * Stops the ring: with {@code cancel} false, waits for everything queued and in flight
     * to finish; with {@code cancel} true, cancels what is in flight (IORING_OP_ASYNC_CANCEL)
     * and fails what is queued. Returns at once when called on the ring thread itself
     * (from an inline callback): the ring then closes when it next looks.
     */
    @Override
    public void close(boolean cancel) {
        synchronized (this) {
            if (state == RUNNING) {
                state = cancel ? CANCELLING : CLOSING;
            } else if (cancel && state == CLOSING) {
                state = CANCELLING;
            }
        }
        wakers.incrementAndGet();
        try {
            if (state != CLOSED && eventFd >= 0) {
                Libc.write(eventFd, ONE);
            }
        } finally {
            wakers.decrementAndGet();
        }
        inbox.wakeRoomWaiters(); // they give up with "engine closed"
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
        RingThreads.markCurrent(this);
        try {
            ring = factory.create();
            eventFd = Libc.eventfd(0, libc_h.EFD_CLOEXEC());
            if (eventFd < 0) {
                ring.close();
                throw new RingSetupException("eventfd for the ring thread's wake-ups", eventFd);
            }
            int bound = maxInFlight > 0 ? maxInFlight : ring.cqEntries() - RESERVED_SQES;
            loop = new RingLoop(ring, bound, RESERVED_SQES, delivery, this::onReserved);
            // Each request goes out as soon as it is queued, as on an owned ring (see
            // RingLoop.submitBatch): inline callbacks add theirs here, on this thread; other
            // threads (deferred callbacks, blocking callers) put theirs in the inbox, which is
            // drained between the CQEs of a reap and before each wait.
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
            failure = t;
            int errno = t instanceof RingFailedException rf ? rf.errno() : Errno.EIO;
            loop.failAll(errno, name + " failed: " + t.getMessage());
            System.getLogger("io.dioring").log(System.Logger.Level.ERROR,
                    "dioring: " + name + " failed; its requests were failed and it takes no more", t);
        } finally {
            state = CLOSED;
            failQueued();
            inbox.wakeRoomWaiters();
            while (wakers.get() != 0) {
                Thread.onSpinWait(); // a submitter is writing the eventfd right now
            }
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
            if (s != RUNNING && inbox.isEmpty() && released.isEmpty() && !loop.busy()) {
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
            boolean wait = inbox.isEmpty() && released.isEmpty() && wakeArmed;
            if (wait) {
                sleepState.set(ASLEEP);
                if (!inbox.isEmpty() || !released.isEmpty() || state != s) {
                    wait = false; // a submitter got in before it could see us asleep
                }
            }
            try {
                loop.submit(wait);
            } finally {
                sleepState.set(AWAKE);
            }
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
        while ((r = released.poll()) != null) {
            loop.add(r); // a completed one is delivered by the loop's next prepare
        }
        // Each request goes out as it is taken (a batch arriving at once is served as one: see
        // RingLoop.submitBatch), unless the next one continues it: then they wait for each
        // other, so the run still goes out as one coalesced SQE.
        int drained = 0;
        IoRequest taken = null;
        while ((r = inbox.poll()) != null) {
            drained++;
            if (state == CANCELLING) {
                cancel(r, true);
                continue;
            }
            if (taken != null) {
                loop.add(taken);
                if (!Coalescer.continues(taken, r)) {
                    loop.submitIfBatchFull();
                }
            }
            taken = r;
        }
        if (taken != null) {
            loop.add(taken);
            loop.submitIfBatchFull();
        }
        if (drained > 0) {
            inbox.wakeRoomWaiters();
        }
    }

    /** Fails what is queued; on any thread (the ring thread at its end, or a submitter that raced it). */
    private void failQueued() {
        boolean onRing = Thread.currentThread() == thread;
        IoRequest r;
        while ((r = released.poll()) != null) {
            if (r.completed) {
                delivery.offload(r); // finished already; only its delivery was left to this ring
            } else {
                cancel(r, onRing);
            }
        }
        while ((r = inbox.poll()) != null) {
            cancel(r, onRing);
        }
    }

    private void cancel(IoRequest r, boolean onRing) {
        Throwable f = failure;
        String why = f != null ? name + " failed: " + f.getMessage() : "the engine was closed";
        CancellationException e = new CancellationException(r.opName() + " " + r.file.path() + " at offset "
                + r.offset + " cancelled: " + why);
        if (f != null) {
            e.initCause(f);
        }
        if (onRing) {
            delivery.fail(r, e, Errno.ECANCELED, true);
        } else {
            // Not on the ring: no ring to hand an inline result to any more.
            r.sink = null;
            delivery.fail(r, e, Errno.ECANCELED, false);
        }
    }
}
