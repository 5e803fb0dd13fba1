package io.dioring.tools.dd;

import static io.dioring.tools.dd.DdOptions.STATUS_NONE;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * dd's output and the writes in flight behind the copy loop: {@code iwrite} and
 * {@code write_output}, up to the write depth at once, completed in submission order.
 * The first write that fails in order is the one GNU dd would have reported: the writes
 * after it are awaited and forgotten, the records-in counters go back to what they were when
 * it was submitted, its message is printed, and {@link WriteFailed} ends the copy (whoever
 * catches it drops the reads ahead).
 */
final class DdWriteBehind {
    /** What a write carries: an input block (bs=), a full output block (obs=), or the final partial one. */
    enum Kind { BLOCK, OBS, FINAL }

    /** A write that failed, in order: dd has reported it and stops. */
    static final class WriteFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final Kind kind;

        WriteFailed(Kind kind) {
            super(null, null, false, false);
            this.kind = kind;
        }
    }

    /** {@code seekedOver}: conv=sparse skipped this all-NUL block instead of writing it. */
    private record Write(MemorySegment buffer, boolean inputBuffer, long offset, long length, Kind kind,
            long rFullAt, long rPartialAt, boolean seekedOver) {}

    final String name;
    final DdOutput out;
    private final DdOptions o;
    private final DdStats stats;
    private final DdBuffers buffers;
    private final DdCache cache;
    /** conv=sparse; null without it. */
    private final DdSparse sparse;
    private final int depth;
    private final ArrayDeque<Write> writes = new ArrayDeque<>();
    /** Where the next write goes. */
    private long offset;
    /** Where GNU dd's calls would have left the output descriptor's offset: after the last write. */
    private long fdOffset;
    private boolean direct;
    /** GNU dd turned O_DIRECT off for a final block, and fsyncs at the end instead. */
    private boolean fsyncAdded;

    DdWriteBehind(DdOutput out, String name, DdOptions o, DdStats stats, DdBuffers buffers, DdCache cache,
            DdSparse sparse, int depth) {
        this.out = out;
        this.name = name;
        this.o = o;
        this.stats = stats;
        this.buffers = buffers;
        this.cache = cache;
        this.sparse = sparse;
        this.depth = depth;
        this.offset = out.startOffset();
        this.fdOffset = offset;
        this.direct = (o.outputFlags & DdOptions.F_DIRECT) != 0;
    }

    /** Where the next write goes. */
    long offset() {
        return offset;
    }

    /** seek= positioned the output at {@code position}. */
    void positionAt(long position) {
        offset = position;
        fdOffset = position;
    }

    /** lseek left the descriptor at {@code position} (a failed seek=). */
    void descriptorAt(long position) {
        fdOffset = position;
    }

    /** Whether dd now fsyncs at the end because it turned O_DIRECT off (conv=fsync added). */
    boolean fsyncAdded() {
        return fsyncAdded;
    }

    /** The added fsync was done (synchronize_output clears the flags it acts on). */
    void fsyncDone() {
        fsyncAdded = false;
    }

    /** Writes {@code length} bytes of {@code buffer} next; the buffer returns to its pool when done. */
    void submit(MemorySegment buffer, boolean inputBuffer, long length, Kind kind) throws DdExit, WriteFailed {
        if (direct && length < o.outputBlocksize) {
            // iwrite: GNU dd turns O_DIRECT off for a final (partial) block
            drain();
            try {
                out.dropDirect();
            } catch (DdIoException e) {
                if (o.status != STATUS_NONE) {
                    stats.error("failed to turn off O_DIRECT: " + DdText.quoteIfNeeded(name), e);
                }
            }
            direct = false;
            cache.dropToEndOfFile();
            invalidateCache(0, offset);
            fsyncAdded = true;
        }
        while (writes.size() >= depth) {
            awaitOldest();
        }
        MemorySegment block = buffer.asSlice(0, length);
        boolean seekedOver = sparse != null && sparse.seekedOver(out, offset, block);
        if (!seekedOver) {
            out.submitWrite(offset, block);
        }
        writes.add(new Write(buffer, inputBuffer, offset, length, kind, stats.fullRecordsIn(),
                stats.partialRecordsIn(), seekedOver));
        offset += length;
    }

    /** A free output buffer, waiting for writes to complete until one is. */
    MemorySegment takeOutputBuffer() throws DdExit, WriteFailed {
        while (true) {
            MemorySegment b = buffers.takeOutput();
            if (b != null) {
                return b;
            }
            awaitOldest();
        }
    }

    void awaitOldest() throws WriteFailed {
        Write w = writes.poll();
        long n;
        DdIoException e = null;
        try {
            n = w.seekedOver() ? w.length() : out.awaitWrite();
        } catch (DdIoException ex) {
            e = ex;
            n = ex.transferred();
        }
        buffers.giveBack(w.buffer(), w.inputBuffer());
        stats.bytesOut(n);
        fdOffset = w.offset() + n;
        if (o.outputNocache && n > 0) {
            invalidateCache(n, w.offset() + n);
        }
        if (e == null) {
            switch (w.kind()) {
                case BLOCK -> {
                    if (w.length() == o.inputBlocksize) {
                        stats.fullRecordOut();
                    } else {
                        stats.partialRecordOut();
                    }
                }
                case OBS -> stats.fullRecordOut();
                case FINAL -> {
                    if (n != 0) {
                        stats.partialRecordOut();
                    }
                }
            }
            return;
        }
        // The first failure in order: everything after it never happened for dd.
        while (!writes.isEmpty()) {
            Write later = writes.poll();
            try {
                if (!later.seekedOver()) {
                    out.awaitWrite();
                }
            } catch (DdIoException ignored) {
                // after the failure
            }
            buffers.giveBack(later.buffer(), later.inputBuffer());
        }
        stats.recordsInWere(w.rFullAt(), w.rPartialAt());
        switch (w.kind()) {
            case BLOCK, FINAL -> {
                if (w.kind() == Kind.FINAL && n != 0) {
                    stats.partialRecordOut();
                }
                stats.error("error writing " + DdText.quoteAlways(name), e);
            }
            case OBS -> {
                stats.error("writing to " + DdText.quoteAlways(name), e);
                if (n != 0) {
                    stats.partialRecordOut();
                }
            }
        }
        throw new WriteFailed(w.kind());
    }

    /** Waits for every write in flight (before anything becomes visible). */
    void drain() throws WriteFailed {
        while (!writes.isEmpty()) {
            awaitOldest();
        }
    }

    /** invalidate_cache(STDOUT_FILENO, length), the output's file offset being {@code position}. */
    int invalidateCache(long length, long position) {
        return cache.invalidate(length, out.seekable() ? position : -1, out.seekErrno(), out::dropCache);
    }

    /** invalidate_cache(STDOUT_FILENO, 0) at dd's output offset. */
    int invalidateCacheToEnd() {
        return invalidateCache(0, offset);
    }

    void dropCacheToEndOfFile() {
        cache.dropToEndOfFile();
    }

    boolean cacheDropsToEndOfFile() {
        return cache.dropsToEndOfFile();
    }

    /** An inherited descriptor ends where GNU dd's write/lseek calls would leave it. */
    void settleOffset() {
        out.endAt(fdOffset);
    }
}
