package io.dioring.file;

import io.dioring.DioAlignment;
import io.dioring.request.RequestFile;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the engine keeps about one open file: descriptor, alignment, limits, the size it
 * tracks, and the writes in flight (for ordering and size extension).
 */
public final class FileState implements RequestFile {
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
    private volatile boolean nowaitRefused;

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

    @Override
    public int fd() {
        return fd;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
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
    @Override
    public int maxIoBytes() {
        return maxIoBytes;
    }

    /** The size the engine tracks (updated by extending writes, truncate, preallocate). */
    public AtomicLong size() {
        return size;
    }

    /** Whether adjacent requests on this file may share one READV/WRITEV SQE (seed 004). */
    @Override
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
    @Override
    public boolean rawOutcomes() {
        return rawOutcomes;
    }

    public void setRawOutcomes(boolean on) {
        rawOutcomes = on;
    }

    @Override
    public long knownSize() {
        return size.get();
    }

    @Override
    public boolean nowaitReads() {
        return !nowaitRefused;
    }

    @Override
    public void refuseNowaitReads() {
        nowaitRefused = true;
    }

    @Override
    public int sliceAlignment() {
        return direct ? alignment.offset() : 1;
    }

    /** Writes in flight on this file, by byte range. */
    public InFlightWrites inFlightWrites() {
        return inFlightWrites;
    }
}
