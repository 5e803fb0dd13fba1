package io.dioring.file;

import io.dioring.DioAlignment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the engine keeps about one open file: descriptor, alignment, limits, the size it
 * tracks, and the writes in flight (for ordering and size extension).
 */
public final class FileState {
    private final int fd;
    private final Path path;
    private final boolean direct;
    private final boolean readable;
    private final boolean writable;
    private final DioAlignment alignment;
    private final int maxIoBytes;
    private final AtomicLong size;
    private final InFlightWrites inFlightWrites = new InFlightWrites();
    private volatile boolean coalescing = true;
    private volatile boolean rawOutcomes;

    public FileState(int fd, Path path, boolean direct, boolean readable, boolean writable,
            DioAlignment alignment, int maxIoBytes, long size) {
        this.fd = fd;
        this.path = path;
        this.direct = direct;
        this.readable = readable;
        this.writable = writable;
        this.alignment = alignment;
        this.maxIoBytes = maxIoBytes;
        this.size = new AtomicLong(size);
    }

    public int fd() {
        return fd;
    }

    public Path path() {
        return path;
    }

    public boolean direct() {
        return direct;
    }

    public boolean readable() {
        return readable;
    }

    public boolean writable() {
        return writable;
    }

    public DioAlignment alignment() {
        return alignment;
    }

    /** Bytes per SQE at most: requests are split at this size. */
    public int maxIoBytes() {
        return maxIoBytes;
    }

    /** The size the engine tracks (updated by extending writes, truncate, preallocate). */
    public AtomicLong size() {
        return size;
    }

    /** Whether adjacent requests on this file may share one READV/WRITEV SQE (seed 004). */
    public boolean coalescing() {
        return coalescing;
    }

    public void setCoalescing(boolean on) {
        coalescing = on;
    }

    /**
     * Whether each read completes with exactly what the kernel returned for it: a short
     * read is judged as it came (prefix rule), never resubmitted, and never merged.
     */
    public boolean rawOutcomes() {
        return rawOutcomes;
    }

    public void setRawOutcomes(boolean on) {
        rawOutcomes = on;
    }

    /** Writes in flight on this file, by byte range. */
    public InFlightWrites inFlightWrites() {
        return inFlightWrites;
    }
}
