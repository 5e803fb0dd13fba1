package io.dioring.reap;

import static io.dioring.reap.RingClosing.CANCELLING;
import static io.dioring.reap.RingClosing.CLOSED;
import static io.dioring.reap.RingClosing.RUNNING;

import io.dioring.RingSetupException;
import io.dioring.deliver.Delivery;
import io.dioring.request.IoRequest;
import io.dioring.ring.IoRing;
import io.dioring.ring.BufferSlabs;
import io.dioring.ring.Ring;
import java.io.InterruptedIOException;
import java.util.concurrent.ConcurrentLinkedQueue;

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
 * As on {@link RingThread} ({@link RingClosing}): a submitter that must wait for room and is
 * interrupted gets InterruptedIOException and its request is not taken; if io_uring_enter
 * fails for good, every queued and in-flight request fails with that errno and new ones are
 * refused; close waits for (or cancels) everything before the ring's memory goes.
 */
public final class SharedRing implements EngineRing {
    private static final int IDLE_WAIT_MILLIS = 1000;

    private final String name;
    private final IoRing ring;
    private final RingLoop loop;
    private final CompletionSignal signal;
    private final boolean kernelRing;
    private final Delivery delivery;
    /** New requests, and requests released from ordering holds: to issue. */
    private final Inbox inbox;
    private final RingClosing closing;
    /** The lock, and the turns its holder makes. */
    private final RingTurns turns;
    /** Finished requests whose callbacks must run on the reaper (inline completion). */
    private final ConcurrentLinkedQueue<IoRequest> toDeliver = new ConcurrentLinkedQueue<>();
    private final Thread reaper;
    private boolean cancelSent;
    private long lateReaps;

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
        this.closing = new RingClosing(name, delivery);
        int bound = maxInFlight > 0 ? maxInFlight : ring.cqEntries() - RingThread.RESERVED_SQES;
        this.loop = new RingLoop(ring, bound, RingThread.RESERVED_SQES, delivery, null);
        // A turn submits everything it drained in one io_uring_enter (flat combining).
        loop.submitBatch(0);
        this.turns = new RingTurns(this, ring, loop, inbox, closing, signal);
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
        return turns.callerTurns();
    }

    public long reaperTurns() {
        return turns.reaperTurns();
    }

    /** Times a caller, having made its own turn and some for others, left the rest to the reaper. */
    public long handOffs() {
        return turns.handOffs();
    }

    /** Times the reaper found completions after a timed-out wait (a lost wake-up: should stay 0). */
    public long lateReaps() {
        return lateReaps;
    }

    /** Why the ring stopped working, or null while it is healthy (or was closed normally). */
    @Override
    public Throwable failure() {
        return closing.failure();
    }

    /** Whether the reaper thread has ended (closed, or failed). */
    public boolean isTerminated() {
        return !reaper.isAlive();
    }

    /** Whether the calling thread is driving this ring now (a callback run inside its turn). */
    public boolean drivenByCurrentThread() {
        return turns.drivenByCurrentThread();
    }

    /** Whether the calling thread is this ring's reaper. */
    public boolean isReaper(Thread t) {
        return t == reaper;
    }

    /** Whether nobody drives the ring right now (a hint for choosing among rings). */
    @Override
    public boolean looksFree() {
        return turns.looksFree();
    }

    // ---- submission ---------------------------------------------------------------------

    @Override
    public void accept(IoRequest r) throws InterruptedIOException {
        if (drivenByCurrentThread()) {
            loop.add(r); // a callback inside our own turn: the turn issues it before it ends
            return;
        }
        closing.checkRunning();
        if (!inbox.offer(r)) {
            inbox.waitForRoom(r, closing::checkRunning, this::nudgeForRoom, 1_000_000);
        }
        turns.drive();
        if (closing.state() == CLOSED) {
            failQueued(); // raced with the end: nobody else will look at the inbox again
        }
    }

    /**
     * Puts as many of {@code requests[from..to)} in the inbox as fit, then makes one turn for
     * them all: its drain takes the lot and its io_uring_enter submits them together (or the
     * thread driving the ring now picks them up before it lets go).
     */
    @Override
    public int acceptAll(IoRequest[] requests, int from, int to) {
        if (drivenByCurrentThread()) {
            return from; // a callback inside our own turn: accept() adds each to the turn
        }
        closing.checkRunning();
        int i = from;
        while (i < to && inbox.offer(requests[i])) {
            i++;
        }
        turns.drive();
        if (closing.state() == CLOSED) {
            failQueued(); // raced with the end: nobody else will look at the inbox again
        }
        return i;
    }

    @Override
    public void release(IoRequest r) {
        if (r.completed()) {
            // Finished elsewhere; its callback runs inline, and only the reaper runs callbacks.
            toDeliver.add(r);
            signal.wake();
        } else if (drivenByCurrentThread()) {
            loop.add(r);
            return;
        } else if (RingTurns.drivenHere() instanceof RingTurns here) {
            // Released by a completion this thread is reaping on another ring: issue it there,
            // after that completion's delivery, as a ring thread would (a sync released by
            // the last write before it must not be seen done before that write).
            here.adopt(r);
            return;
        } else {
            // Never drive from here: the releasing thread may be inside another ring's reap.
            inbox.release(r);
            signal.wake();
        }
        if (closing.state() == CLOSED) {
            failQueued();
        }
    }

    /** While a submitter waits for room: the inbox is full, so drain it, or make sure somebody does. */
    private void nudgeForRoom() {
        turns.drive();
        signal.wake();
    }

    // ---- the reaper thread --------------------------------------------------------------

    private void reap() {
        RingThreads.markCurrent(this);
        boolean signalled = true;
        try {
            while (true) {
                deliverHandedOver();
                boolean drove = false;
                if (turns.tryTake(reaper) || signalled && turns.wantTheRing(reaper)) {
                    drove = true;
                    turns.reaperServed();
                    // Results callers reaped before we took the ring go out before any we reap
                    // now: the kernel finished them first, and a sync released by a write must
                    // not be seen done before that write's callback ran.
                    deliverHandedOver();
                    boolean found = ring.cqReady() > 0;
                    try {
                        if (!signalled && found) {
                            lateReaps++;
                        }
                        if (closing.state() == CANCELLING && !cancelSent) {
                            failQueued();
                            cancelSent = loop.cancelAll();
                        }
                        turns.turn(true);
                        if (endIfDone()) {
                            return;
                        }
                    } finally {
                        turns.letGo();
                    }
                }
                if (drove && (inbox.hasWork() || !toDeliver.isEmpty())) {
                    signalled = true;
                    continue;
                }
                int wait = closing.state() != RUNNING || closing.failure() != null ? 1
                        : loop.busy() ? signal.busyWaitMillis() : IDLE_WAIT_MILLIS;
                signalled = signal.await(wait);
            }
        } finally {
            failQueued();
            inbox.wakeRoomWaiters();
        }
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
        boolean broken = closing.failure() != null;
        if (closing.state() == RUNNING && !broken) {
            return false;
        }
        if (!broken && (inbox.hasWork() || !toDeliver.isEmpty() || loop.busy())) {
            return false;
        }
        closing.closed();
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
        closing.request(cancel);
        signal.wake();
        inbox.wakeRoomWaiters(); // they give up with "engine closed"
        if (Thread.currentThread() != reaper) {
            RingClosing.join(reaper);
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
        closing.failQueued(inbox, onReaper); // released requests here are never completed ones
    }

    @Override
    public String toString() {
        return name;
    }
}
