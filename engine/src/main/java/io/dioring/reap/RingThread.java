package io.dioring.reap;

import io.dioring.deliver.Delivery;
import static io.dioring.reap.RingClosing.CANCELLING;
import static io.dioring.reap.RingClosing.CLOSED;
import static io.dioring.reap.RingClosing.RUNNING;

import io.dioring.request.IoRequest;
import io.dioring.ring.IoRing;
import io.dioring.ring.BufferSlabs;
import io.dioring.ring.Ring;
import io.dioring.ring.RingFailedException;
import io.dioring.split.Coalescer;
import io.dioring.RingSetupException;
import java.io.InterruptedIOException;
import java.util.concurrent.CountDownLatch;

/**
 * The default mode: one event-loop thread per ring. It drains a bounded lock-free
 * multi-producer inbox ({@link Inbox}), submits, reaps and dispatches. Other threads
 * (virtual ones too) put requests in the inbox and, only if the ring thread may be asleep
 * in io_uring_enter, wake it by writing the eventfd it keeps a read armed on
 * ({@link RingThreadWake}). A submitter
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
 *     with an exception naming the cause ({@link #failure()}), and the thread ends
 *     ({@link RingClosing}).
 * </ul>
 */
public final class RingThread implements EngineRing {
    /** Our own SQEs that may be in flight beside the slices: the wake-up read and a cancel. */
    public static final int RESERVED_SQES = 2;

    /** Creates the ring, on the ring thread. */
    @FunctionalInterface
    public interface RingFactory {
        IoRing create() throws RingSetupException;
    }

    private final boolean kernelRing;
    private final Inbox inbox;
    private final RingThreadWake wake = new RingThreadWake();
    private final RingClosing closing;
    private final Thread thread;
    private final String name;
    private final CountDownLatch started = new CountDownLatch(1);
    private final int maxInFlight;
    private final RingFactory factory;
    private final Delivery delivery;
    private volatile Throwable startFailure;
    private volatile IoRing ring;
    private volatile RingLoop loop;

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
        this.closing = new RingClosing(name, delivery);
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
        return wake.wakeups();
    }

    /** Why the ring stopped working, or null while it is healthy (or was closed normally). */
    @Override
    public Throwable failure() {
        return closing.failure();
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
        closing.checkRunning();
        if (!inbox.offer(r)) {
            inbox.waitForRoom(r, closing::checkRunning, wake::wake, 0);
        }
        wake.wake();
        if (closing.state() == CLOSED) {
            failQueued(); // we raced with the end of the thread: nobody else will look at the inbox again
        }
    }

    /** Puts as many of {@code requests[from..to)} in the inbox as fit, and wakes the ring thread once for them. */
    @Override
    public int acceptAll(IoRequest[] requests, int from, int to) {
        if (Thread.currentThread() == thread) {
            return from; // an inline callback on its own ring: accept() adds each to the loop
        }
        closing.checkRunning();
        int i = from;
        while (i < to && inbox.offer(requests[i])) {
            i++;
        }
        wake.wake();
        if (closing.state() == CLOSED) {
            failQueued(); // we raced with the end of the thread: nobody else will look at the inbox again
        }
        return i;
    }

    @Override
    public void release(IoRequest r) {
        if (Thread.currentThread() == thread) {
            loop.add(r);
            return;
        }
        inbox.release(r);
        wake.wake();
        if (closing.state() == CLOSED) {
            failQueued();
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
        closing.request(cancel);
        wake.wakeNow();
        inbox.wakeRoomWaiters(); // they give up with "engine closed"
        if (Thread.currentThread() != thread) {
            RingClosing.join(thread);
        }
    }

    private void run() {
        RingThreads.markCurrent(this);
        try {
            ring = factory.create();
            try {
                wake.open();
            } catch (RingSetupException e) {
                ring.close();
                throw e;
            }
            int bound = maxInFlight > 0 ? maxInFlight : ring.cqEntries() - RESERVED_SQES;
            loop = new RingLoop(ring, bound, RESERVED_SQES, delivery, wake::onReserved);
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
            closing.broken(t, loop);
        } finally {
            closing.closed();
            failQueued();
            inbox.wakeRoomWaiters();
            wake.stopWriters();
            ring.close();
            wake.close();
        }
    }

    private void eventLoop() {
        boolean cancelSent = false;
        while (true) {
            drainInbox();
            loop.prepare();
            int s = closing.state();
            if (s == CANCELLING && !cancelSent) {
                failQueued();
                cancelSent = loop.cancelAll();
            }
            if (s != RUNNING && !inbox.hasWork() && !loop.busy()) {
                if (!wake.armed()) {
                    return;
                }
                // Our own wake-up read is the last thing in flight: complete it so no SQE
                // refers to our memory when the ring goes.
                wake.wakeNow();
            }
            if (s == RUNNING) {
                wake.arm(loop);
            }
            boolean wait = !inbox.hasWork() && wake.armed();
            if (wait) {
                wake.asleep();
                if (inbox.hasWork() || closing.state() != s) {
                    wait = false; // a submitter got in before it could see us asleep
                }
            }
            try {
                loop.submit(wait);
            } finally {
                wake.awake();
            }
            loop.reap();
        }
    }

    private void drainInbox() {
        IoRequest r;
        while ((r = inbox.pollReleased()) != null) {
            loop.add(r); // a completed one is delivered by the loop's next prepare
        }
        // Each request goes out as it is taken (a batch arriving at once is served as one: see
        // RingLoop.submitBatch), unless the next one continues it: then they wait for each
        // other, so the run still goes out as one coalesced SQE.
        int drained = 0;
        IoRequest taken = null; // taken from the inbox, not yet on the loop
        try {
            while ((r = inbox.poll()) != null) {
                drained++;
                if (closing.state() == CANCELLING) {
                    closing.cancel(r, true);
                    continue;
                }
                IoRequest previous = taken;
                taken = r;
                if (previous != null) {
                    loop.add(previous);
                    if (!Coalescer.continues(previous, r)) {
                        loop.submitIfBatchFull();
                    }
                }
            }
            if (taken != null) {
                IoRequest last = taken;
                taken = null;
                loop.add(last);
                loop.submitIfBatchFull();
            }
        } finally {
            if (taken != null) {
                // A submit failed for good with this one taken: on the loop, failAll fails it
                // with the rest (it was lost here before, about once in 40 runs of a fatal enter).
                loop.add(taken);
            }
        }
        if (drained > 0) {
            inbox.wakeRoomWaiters();
        }
    }

    /** Fails what is queued; on any thread (the ring thread at its end, or a submitter that raced it). */
    private void failQueued() {
        closing.failQueued(inbox, Thread.currentThread() == thread);
    }
}
