package io.dioring.reap;

import io.dioring.RingSetupException;
import io.dioring.deliver.Delivery;
import io.dioring.ffi.Errno;
import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import io.dioring.ring.IoRing;
import io.dioring.ring.BufferSlabs;
import io.dioring.ring.Ring;
import io.dioring.ring.RingFailedException;
import java.io.InterruptedIOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A ring its callers drive themselves. A thread (virtual or platform) that submits puts its
 * request in the ring's inbox and, if nobody drives the ring, takes it (a try-lock, never a
 * wait) and makes a turn: it drains the inbox, writes the SQEs, enters the ring once
 * without waiting, and reaps what is there. On a device where a read can finish without
 * blocking (page cache, a RAM disk, a polled NVMe queue) the kernel completes it inside
 * that io_uring_enter, and the caller leaves with its result: no hand-off, no park, no
 * other thread. A caller that finds the ring driven leaves its request in the inbox; the
 * driver picks it up before it lets go (flat combining).
 *
 * <p>Completions that finish out of line (a disk's interrupt, an io-wq worker) are reaped
 * by the next caller to drive the ring, or by this ring's reaper thread, woken through an
 * eventfd the kernel signals for CQEs posted while nobody drives the ring (a driver turns
 * those signals off while it is in io_uring_enter, see {@link IoRing#notifyCompletions}).
 *
 * <h2>Who runs what (seed 001)</h2>
 * A caller that reaps wakes blocking waiters (that runs no user code) and hands deferred
 * results to the completion executor; it runs nobody's callbacks. Results whose callbacks
 * run inline (INLINE mode) go to the reaper thread, which runs them, as a ring thread did.
 *
 * <h2>Memory ordering</h2>
 * The ring, its loop and its SQ/CQ are touched only by the lock holder; the lock's CAS and
 * volatile release order one holder's writes before the next's reads. After letting go, a
 * driver looks again for work ({@link #hasWork}); a submitter offers to the inbox and then
 * tries the lock: both sides use sequentially consistent accesses, so either the submitter
 * gets the lock or the driver sees its request.
 *
 * <h2>Every request completes once</h2>
 * As on {@link RingThread}: a submitter that must wait for room and is interrupted gets
 * InterruptedIOException and its request is not taken; if io_uring_enter fails for good,
 * every queued and in-flight request fails with that errno and new ones are refused; close
 * waits for (or cancels) everything before the ring's memory goes.
 */
public final class SharedRing implements EngineRing {
    private static final int RUNNING = 0;
    private static final int CLOSING = 1;
    private static final int CANCELLING = 2;
    private static final int CLOSED = 3;
    /** Turns a caller makes for others once it has made its own, before it hands the rest to the reaper. */
    private static final int CALLER_TURNS = 4;
    /** Enter-and-reap passes in one turn at most, so a caller is not held by a stream of completions. */
    private static final int PASSES_PER_TURN = 8;
    private static final int IDLE_WAIT_MILLIS = 1000;

    /** The shared ring the calling thread is making a turn of now, if any. */
    private static final ThreadLocal<SharedRing> DRIVING = new ThreadLocal<>();

    private final String name;
    private final IoRing ring;
    private final RingLoop loop;
    private final CompletionSignal signal;
    private final boolean kernelRing;
    private final Delivery delivery;
    private final Inbox inbox;
    /** Requests released from ordering holds: to issue. */
    private final ConcurrentLinkedQueue<IoRequest> released = new ConcurrentLinkedQueue<>();
    /** Finished requests whose callbacks must run on the reaper (inline completion). */
    private final ConcurrentLinkedQueue<IoRequest> toDeliver = new ConcurrentLinkedQueue<>();
    /** The driver, or null: the lock. */
    private final AtomicReference<Thread> driver = new AtomicReference<>();
    private final Thread reaper;
    private volatile int state = RUNNING;
    private volatile Throwable failure;
    private boolean cancelSent;
    /**
     * Set by the reaper when it was signalled but found the ring driven: the driver then
     * signals it again once it lets go (a CQE posted after the driver's last look would
     * otherwise wait for the reaper's next timeout). Both sides sequentially consistent.
     */
    private volatile boolean reaperWanted;
    // Counters, written by the lock holder only (plain: the lock orders them), read for reports.
    private long callerTurns;
    private long reaperTurns;
    private long lateReaps;
    private final java.util.concurrent.atomic.LongAdder handOffs = new java.util.concurrent.atomic.LongAdder();

    /**
     * A shared ring over {@code ring}, with its reaper thread started.
     *
     * @param maxInFlight slices in flight at most; 0 for the CQ size less {@link RingThread#RESERVED_SQES}
     * @param signal how the reaper is woken ({@link #kernel} makes the eventfd one)
     */
    SharedRing(String name, IoRing ring, CompletionSignal signal, boolean kernelRing, int maxInFlight,
            Delivery delivery, int inboxCapacity) {
        this.name = name;
        this.ring = ring;
        this.signal = signal;
        this.kernelRing = kernelRing;
        this.delivery = delivery;
        this.inbox = new Inbox(name, inboxCapacity);
        int bound = maxInFlight > 0 ? maxInFlight : ring.cqEntries() - RingThread.RESERVED_SQES;
        this.loop = new RingLoop(ring, bound, RingThread.RESERVED_SQES, delivery, null);
        // A turn submits everything it drained in one io_uring_enter (flat combining).
        loop.submitBatch(0);
        this.reaper = Thread.ofPlatform().name(name).daemon(true).unstarted(this::reap);
        reaper.start();
    }

    /**
     * A shared ring over a kernel ring of {@code entries} SQEs, set up for several submitters:
     * no SINGLE_ISSUER or DEFER_TASKRUN (one submitter only), and no COOP_TASKRUN (a
     * completion's task work runs on the thread that submitted it, which may be a carrier
     * parked in the scheduler: without the wake-up it would sit there until that carrier
     * next entered the kernel).
     *
     * @param slabs the engine pool's slabs, registered with the ring as they appear; null for none
     */
    public static SharedRing kernel(String name, int entries, io.dioring.RingOptions options, Delivery delivery,
            int inboxCapacity, BufferSlabs slabs) throws RingSetupException {
        io.dioring.RingOptions shared = new io.dioring.RingOptions(false, false, false, options.sqpoll(), false,
                options.sqpollIdleMillis());
        Ring r = Ring.create(Math.max(entries, RingThread.RESERVED_SQES), shared);
        EventFdSignal signal = null;
        try {
            signal = new EventFdSignal();
            r.registrations().registerEventFd(signal.fd());
            if (slabs != null) {
                r.registrations().follow(slabs); // the engine pool's memory: READ_FIXED/WRITE_FIXED
            }
        } catch (RingSetupException | RuntimeException e) {
            if (signal != null) {
                signal.close();
            }
            r.close();
            throw e;
        }
        return new SharedRing(name, r, signal, true, 0, delivery, inboxCapacity);
    }

    /** A shared ring over any ring (tests: simulated or fault-injecting ones), woken by polling. */
    public static SharedRing of(String name, IoRing ring, int maxInFlight, Delivery delivery, int inboxCapacity) {
        return new SharedRing(name, ring, CompletionSignal.polling(), false, maxInFlight, delivery, inboxCapacity);
    }

    /** The kernel ring (set-up and counters), or null when it is a simulated one. */
    @Override
    public Ring ring() {
        return ring instanceof Ring r ? r : null;
    }

    /** Whether this is a kernel ring (see {@link RingThread#kernelRing}). */
    @Override
    public boolean kernelRing() {
        return kernelRing;
    }

    /** The loop (counters only: it belongs to whoever drives the ring). */
    @Override
    public RingLoop loop() {
        return loop;
    }

    /** Turns made by submitting callers, and by the reaper thread. */
    public long callerTurns() {
        return callerTurns;
    }

    public long reaperTurns() {
        return reaperTurns;
    }

    /** Times a caller, having made its own turn and some for others, left the rest to the reaper. */
    public long handOffs() {
        return handOffs.sum();
    }

    /** Times the reaper found completions after a timed-out wait (a lost wake-up: should stay 0). */
    public long lateReaps() {
        return lateReaps;
    }

    /** Why the ring stopped working, or null while it is healthy (or was closed normally). */
    @Override
    public Throwable failure() {
        return failure;
    }

    /** Whether the reaper thread has ended (closed, or failed). */
    public boolean isTerminated() {
        return !reaper.isAlive();
    }

    /** Whether the calling thread is driving this ring now (a callback run inside its turn). */
    public boolean drivenByCurrentThread() {
        return driver.get() == Thread.currentThread();
    }

    /** Whether the calling thread is this ring's reaper. */
    public boolean isReaper(Thread t) {
        return t == reaper;
    }

    /** Whether nobody drives the ring right now (a hint for choosing among rings). */
    @Override
    public boolean looksFree() {
        return driver.get() == null;
    }

    // ---- submission ---------------------------------------------------------------------

    @Override
    public void accept(IoRequest r) throws InterruptedIOException {
        if (drivenByCurrentThread()) {
            loop.add(r); // a callback inside our own turn: the turn issues it before it ends
            return;
        }
        checkRunning();
        if (!inbox.offer(r)) {
            inbox.waitForRoom(r, this::checkRunning, this::nudgeForRoom, 1_000_000);
        }
        drive();
        if (state == CLOSED) {
            failQueued(); // raced with the end: nobody else will look at the inbox again
        }
    }

    @Override
    public void release(IoRequest r) {
        if (r.completed) {
            // Finished elsewhere; its callback runs inline, and only the reaper runs callbacks.
            toDeliver.add(r);
            signal.wake();
        } else if (drivenByCurrentThread()) {
            loop.add(r);
            return;
        } else if (DRIVING.get() instanceof SharedRing here && here.drivenByCurrentThread()) {
            // Released by a completion this thread is reaping on another ring: issue it here,
            // after that completion's delivery, as a ring thread would (a sync released by
            // the last write before it must not be seen done before that write).
            r.sink = here;
            here.loop.add(r);
            return;
        } else {
            // Never drive from here: the releasing thread may be inside another ring's reap.
            released.add(r);
            signal.wake();
        }
        if (state == CLOSED) {
            failQueued();
        }
    }

    /** While a submitter waits for room: the inbox is full, so drain it, or make sure somebody does. */
    private void nudgeForRoom() {
        drive();
        signal.wake();
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

    // ---- driving ------------------------------------------------------------------------

    /**
     * Makes turns while the ring is free and has work; a caller hands what is left after
     * {@link #CALLER_TURNS} turns to the reaper, so it is never kept from its own result by
     * a stream of other threads' requests.
     */
    private void drive() {
        for (int turns = 0; driver.get() == null && driver.compareAndSet(null, Thread.currentThread()); ) {
            try {
                turn(false);
            } finally {
                driver.set(null); // volatile: ordered before the loads below
            }
            if (reaperWanted) {
                signal.wake();
            }
            if (!hasWork()) {
                return;
            }
            if (++turns >= CALLER_TURNS) {
                handOffs.increment();
                signal.wake();
                return;
            }
        }
        // Driven by another thread, which looks for work again after it lets go.
    }

    /**
     * Whether requests wait for a turn (any thread; sequentially consistent). Completions are
     * not looked at here: the ring's memory may be unmapped once the lock is let go, and a
     * CQE posted after a turn's last look signals the reaper anyway.
     */
    private boolean hasWork() {
        return !inbox.isEmpty() || !released.isEmpty();
    }

    /**
     * One turn, by the lock holder: issue what waits, enter the ring once, reap, until a
     * pass finds nothing new; then signals back on, and whatever was posted meanwhile reaped.
     */
    private void turn(boolean byReaper) {
        if (state == CLOSED) {
            return; // the ring's memory is gone; failQueued deals with the inbox
        }
        if (failure != null) {
            return;
        }
        if (byReaper) {
            reaperTurns++;
        } else {
            callerTurns++;
        }
        loop.callbacksHere(byReaper);
        SharedRing outer = DRIVING.get();
        DRIVING.set(this);
        try {
            int passes = 0;
            boolean again;
            do {
                ring.notifyCompletions(false);
                boolean more;
                do {
                    drainInbox();
                    loop.prepare();
                    loop.submit(false);
                    more = loop.reap() > 0 || loop.hasResubmissions();
                } while (more && ++passes < PASSES_PER_TURN);
                // Signals back on; CQEs posted while they were off are ours to reap.
                again = ring.notifyCompletions(true) > 0 || !released.isEmpty();
            } while (again && passes < PASSES_PER_TURN);
            if (again) {
                signal.wake(); // left for the reaper (or the next caller)
            }
        } catch (Throwable t) {
            broken(t);
        } finally {
            DRIVING.set(outer);
        }
    }

    private void drainInbox() {
        IoRequest r;
        while ((r = released.poll()) != null) {
            loop.add(r);
        }
        int drained = 0;
        boolean cancelling = state == CANCELLING;
        while ((r = inbox.poll()) != null) {
            drained++;
            if (cancelling) {
                cancel(r, loop.callbacksHere());
            } else {
                loop.add(r);
            }
        }
        if (drained > 0) {
            inbox.wakeRoomWaiters();
        }
    }

    /** io_uring_enter failed for good, or the loop threw: fail everything, refuse new work. */
    private void broken(Throwable t) {
        failure = t;
        int errno = t instanceof RingFailedException rf ? rf.errno() : Errno.EIO;
        loop.failAll(errno, name + " failed: " + t.getMessage());
        System.getLogger("io.dioring").log(System.Logger.Level.ERROR,
                "dioring: " + name + " failed; its requests were failed and it takes no more", t);
        signal.wake(); // the reaper closes the ring
    }

    // ---- the reaper thread --------------------------------------------------------------

    private void reap() {
        RingThreads.markCurrent(this);
        boolean signalled = true;
        try {
            while (true) {
                deliverHandedOver();
                boolean drove = false;
                if (driver.compareAndSet(null, reaper) || signalled && wantTheRing()) {
                    drove = true;
                    reaperWanted = false;
                    boolean found = ring.cqReady() > 0;
                    try {
                        if (!signalled && found) {
                            lateReaps++;
                        }
                        if (state == CANCELLING && !cancelSent) {
                            failQueued();
                            cancelSent = loop.cancelAll();
                        }
                        turn(true);
                        if (endIfDone()) {
                            return;
                        }
                    } finally {
                        driver.set(null);
                    }
                }
                if (drove && (hasWork() || !toDeliver.isEmpty())) {
                    signalled = true;
                    continue;
                }
                int wait = state != RUNNING || failure != null ? 1
                        : loop.busy() ? signal.busyWaitMillis() : IDLE_WAIT_MILLIS;
                signalled = signal.await(wait);
            }
        } finally {
            failQueued();
            inbox.wakeRoomWaiters();
        }
    }

    /**
     * The reaper was signalled and the ring is driven: say so, then try once more; if the
     * driver still holds it, it signals the reaper again when it lets go.
     */
    private boolean wantTheRing() {
        reaperWanted = true;
        return driver.compareAndSet(null, reaper);
    }

    /** Runs the inline callbacks of results finished where callbacks may not run. */
    private void deliverHandedOver() {
        IoRequest r;
        while ((r = toDeliver.poll()) != null) {
            delivery.onRing(r);
        }
    }

    /**
     * Under the lock, on the reaper: once closing (or broken) and nothing is left, the ring
     * is closed, and no caller touches it again (they see CLOSED first).
     */
    private boolean endIfDone() {
        boolean broken = failure != null;
        if (state == RUNNING && !broken) {
            return false;
        }
        if (!broken && (!inbox.isEmpty() || !released.isEmpty() || !toDeliver.isEmpty() || loop.busy())) {
            return false;
        }
        state = CLOSED;
        ring.close();
        signal.close();
        return true;
    }

    /**
     * Stops the ring: with {@code cancel} false, waits for everything queued and in flight to
     * finish; with {@code cancel} true, cancels what is in flight (IORING_OP_ASYNC_CANCEL) and
     * fails what is queued. Returns at once when called on the reaper itself (an inline
     * callback): the ring then closes when the reaper next looks.
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
        signal.wake();
        inbox.wakeRoomWaiters(); // they give up with "engine closed"
        if (Thread.currentThread() == reaper) {
            return;
        }
        boolean interrupted = false;
        while (reaper.isAlive()) {
            try {
                reaper.join();
            } catch (InterruptedException e) {
                interrupted = true; // the ring's memory must not be freed under the kernel
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Fails what is queued; on any thread (the reaper at its end, or a submitter that raced it). */
    private void failQueued() {
        boolean onReaper = Thread.currentThread() == reaper;
        IoRequest r;
        while ((r = toDeliver.poll()) != null) {
            if (onReaper) {
                delivery.onRing(r);
            } else {
                delivery.offload(r);
            }
        }
        while ((r = released.poll()) != null) {
            cancel(r, onReaper);
        }
        while ((r = inbox.poll()) != null) {
            cancel(r, onReaper);
        }
    }

    private void cancel(IoRequest r, boolean callbacksHere) {
        Throwable f = failure;
        String why = f != null ? name + " failed: " + f.getMessage() : "the engine was closed";
        CancellationException e = new CancellationException(r.opName() + " " + r.file.path() + " at offset "
                + r.offset + " cancelled: " + why);
        if (f != null) {
            e.initCause(f);
        }
        if (callbacksHere) {
            delivery.fail(r, e, Errno.ECANCELED, true);
        } else {
            r.sink = null; // no ring to hand an inline result to any more
            delivery.fail(r, e, Errno.ECANCELED, false);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
