package io.dioring.reap;

import static io.dioring.reap.RingClosing.CANCELLING;
import static io.dioring.reap.RingClosing.CLOSED;

import io.dioring.request.IoRequest;
import io.dioring.request.ReleaseSink;
import io.dioring.ring.IoRing;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link SharedRing}'s lock and the turns its holder makes: whoever takes the lock (a
 * submitting caller, or the reaper) drains the inbox, writes the SQEs, enters the ring
 * without waiting and reaps, until a pass finds nothing new. The ring, its loop and its
 * SQ/CQ are touched only by the lock holder; the lock's CAS and volatile release order one
 * holder's writes before the next's reads.
 */
final class RingTurns {
    /** Turns a caller makes for others once it has made its own, before it hands the rest to the reaper. */
    private static final int CALLER_TURNS = 4;
    /** Enter-and-reap passes in one turn at most, so a caller is not held by a stream of completions. */
    private static final int PASSES_PER_TURN = 8;
    /** The shared ring the calling thread is making a turn of now, if any. */
    static final ThreadLocal<RingTurns> DRIVING = new ThreadLocal<>();

    /** The ring these turns are of: where a request adopted by a turn is given. */
    private final ReleaseSink<IoRequest> owner;
    private final IoRing ring;
    private final RingLoop loop;
    private final Inbox inbox;
    private final RingClosing closing;
    private final CompletionSignal signal;
    /** The driver, or null: the lock. */
    private final AtomicReference<Thread> driver = new AtomicReference<>();
    /**
     * Set by the reaper when it was signalled but found the ring driven: the driver then
     * signals it again once it lets go (a CQE posted after the driver's last look would
     * otherwise wait for the reaper's next timeout). Both sides sequentially consistent.
     */
    private volatile boolean reaperWanted;
    // Counters, written by the lock holder only (plain: the lock orders them), read for reports.
    private long callerTurns;
    private long reaperTurns;
    private final LongAdder handOffs = new LongAdder();

    RingTurns(ReleaseSink<IoRequest> owner, IoRing ring, RingLoop loop, Inbox inbox, RingClosing closing,
            CompletionSignal signal) {
        this.owner = owner;
        this.ring = ring;
        this.loop = loop;
        this.inbox = inbox;
        this.closing = closing;
        this.signal = signal;
    }

    /** Turns made by submitting callers, and by the reaper thread. */
    long callerTurns() {
        return callerTurns;
    }

    long reaperTurns() {
        return reaperTurns;
    }

    /** Times a caller, having made its own turn and some for others, left the rest to the reaper. */
    long handOffs() {
        return handOffs.sum();
    }

    /** Whether the calling thread is driving this ring now (a callback run inside its turn). */
    boolean drivenByCurrentThread() {
        return driver.get() == Thread.currentThread();
    }

    /**
     * The turns of the ring the calling thread drives now, if any: a request released by a
     * completion it reaps goes out there ({@link #adopt}).
     */
    static RingTurns drivenHere() {
        RingTurns here = DRIVING.get();
        return here != null && here.drivenByCurrentThread() ? here : null;
    }

    /** Issues {@code r} in the turn the calling thread is making of this ring, after the delivery it is in. */
    void adopt(IoRequest r) {
        assert drivenByCurrentThread() : "adopted outside a turn";
        r.givenTo(owner);
        loop.add(r);
    }

    /** Whether nobody drives the ring right now (a hint for choosing among rings). */
    boolean looksFree() {
        return driver.get() == null;
    }

    /** Takes the lock if it is free (never waits). */
    boolean tryTake(Thread t) {
        return driver.compareAndSet(null, t);
    }

    /** Lets go of the lock (volatile: ordered before the holder's next loads). */
    void letGo() {
        driver.set(null);
    }

    /** The reaper holds the lock: whoever asked for it got it. */
    void reaperServed() {
        reaperWanted = false;
    }

    /**
     * Makes turns while the ring is free and has work; a caller hands what is left after
     * {@link #CALLER_TURNS} turns to the reaper, so it is never kept from its own result by
     * a stream of other threads' requests.
     */
    void drive() {
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
        return inbox.hasWork();
    }

    /**
     * One turn, by the lock holder: issue what waits, enter the ring once, reap, until a
     * pass finds nothing new; then signals back on, and whatever was posted meanwhile reaped.
     */
    void turn(boolean byReaper) {
        if (closing.state() == CLOSED) {
            return; // the ring's memory is gone; failQueued deals with the inbox
        }
        if (closing.failure() != null) {
            return;
        }
        if (byReaper) {
            reaperTurns++;
        } else {
            callerTurns++;
        }
        loop.callbacksHere(byReaper);
        RingTurns outer = DRIVING.get();
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
                again = ring.notifyCompletions(true) > 0 || !inbox.noneReleased();
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
        while ((r = inbox.pollReleased()) != null) {
            loop.add(r);
        }
        int drained = 0;
        boolean cancelling = closing.state() == CANCELLING;
        while ((r = inbox.poll()) != null) {
            drained++;
            if (cancelling) {
                closing.cancel(r, loop.callbacksHere());
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
        closing.broken(t, loop);
        signal.wake(); // the reaper closes the ring
    }

    /**
     * The reaper was signalled and the ring is driven: say so, then try once more; if the
     * driver still holds it, it signals the reaper again when it lets go.
     */
    boolean wantTheRing(Thread reaper) {
        reaperWanted = true;
        return driver.compareAndSet(null, reaper);
    }
}
