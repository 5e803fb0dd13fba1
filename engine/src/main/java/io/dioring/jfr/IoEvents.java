package io.dioring.jfr;

import io.dioring.request.IoRequest;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;

/**
 * Records dioring's JFR events ({@code io.dioring.FileRead}, {@code FileWrite},
 * {@code FileForce}): an event is begun when a request is submitted and committed when its
 * single result is known, so its duration is the request's whole life, queueing included.
 *
 * <p>The engine calls exactly two methods, {@link #submitted} and {@link #completed}. When no
 * recording wants an event type, a request costs one read of that type's JFR state at
 * submission (before JFR is initialized, one read of whether it is) and a null check at
 * completion: nothing is allocated, no clock is read. When one
 * does, the fields (the path string among them) are filled only after
 * {@link Event#shouldCommit()} says the event passed its threshold (20 ms by default).
 */
public final class IoEvents {
    /** What {@code backend} says for a request carried by an io_uring ring. */
    public static final String IO_URING = "io_uring";
    /** What {@code backend} says for a request carried by the thread-pool backend. */
    public static final String THREADS = "threads";
    /**
     * What {@code backend} says for an extending write made with pwrite(2) on its submitter's
     * thread (it would gain nothing from the ring: see {@code io.dioring.backend.CallerIo}), and
     * for a buffered read the page cache held, copied on its submitter's thread
     * ({@code io.dioring.backend.CachedRead}).
     */
    public static final String SYSCALL = "syscall";

    private IoEvents() {}

    /**
     * One idle instance per event type: isEnabled() of an event class reads only that class's
     * JFR configuration, shared by all its instances, so one answers for every request without
     * allocating. (EventType.getEventType would answer too, but it starts JFR's metadata
     * repository, over half a second, in every program that merely loads the engine.)
     *
     * <p>A holder, first touched once JFR is initialized: creating the first instance of an
     * event class reads its annotations (about 45 ms of a command-line tool's start-up), and
     * before JFR is initialized no recording can want any event.
     */
    private static final class Enabled {
        static final FileReadEvent READS = new FileReadEvent();
        static final FileWriteEvent WRITES = new FileWriteEvent();
        static final FileForceEvent FORCES = new FileForceEvent();
    }

    /**
     * A request was submitted: begins its event if a recording wants that type, and clears a
     * pooled request's leftover otherwise.
     */
    public static void submitted(IoRequest r) {
        if (!FlightRecorder.isInitialized()) { // no recording has ever existed in this JVM
            r.jfr().event = null;
            return;
        }
        r.jfr().event = switch (r.op()) {
            case IoRequest.READ -> Enabled.READS.isEnabled() ? begun(new FileReadEvent()) : null;
            case IoRequest.WRITE -> Enabled.WRITES.isEnabled() ? begun(new FileWriteEvent()) : null;
            case IoRequest.FSYNC, IoRequest.FDATASYNC ->
                    Enabled.FORCES.isEnabled() ? begun(new FileForceEvent()) : null;
            default -> null;
        };
    }

    /**
     * Whether a read submitted now would begin its event (a recording wants
     * {@code io.dioring.FileRead}): the same reads {@link #submitted} makes, nothing allocated.
     */
    public static boolean readsRecorded() {
        return FlightRecorder.isInitialized() && Enabled.READS.isEnabled();
    }

    private static Event begun(Event e) {
        e.begin();
        return e;
    }

    /**
     * A request has its single result ({@code r.outcome()}): ends its
     * event and commits it if it passed the threshold. Call before the result is delivered,
     * since delivery may recycle the request.
     */
    public static void completed(IoRequest r, String backend) {
        EventSlot<IoRequest> slot = r.jfr();
        Event e = slot.event;
        if (e == null) {
            return;
        }
        slot.event = null;
        e.end();
        if (!e.shouldCommit()) {
            return;
        }
        int errno = r.outcome().errno();
        long transferred = errno == 0 ? Math.max(r.outcome().result(), 0) : 0;
        if (e instanceof FileReadEvent read) {
            read.path = r.file().path().toString();
            read.offset = r.offset();
            read.bytesAsked = r.length();
            read.bytesRead = transferred;
            read.endOfFile = errno == 0 && transferred < r.length();
            read.errno = errno;
            read.backend = backend;
        } else if (e instanceof FileWriteEvent write) {
            write.path = r.file().path().toString();
            write.offset = r.offset();
            write.bytesAsked = r.length();
            write.bytesWritten = transferred;
            // A durable write carries RWF_DSYNC on its slices, or is followed by its sync.
            write.durable = r.syncAfter() >= 0;
            write.errno = errno;
            write.backend = backend;
        } else if (e instanceof FileForceEvent force) {
            force.path = r.file().path().toString();
            force.metaData = r.op() == IoRequest.FSYNC;
            force.errno = errno;
            force.backend = backend;
        }
        e.commit();
    }
}
