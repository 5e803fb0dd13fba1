package io.dioring.tools.dd;

import io.dioring.ffi.Libc;
import java.lang.foreign.MemorySegment;

/**
 * dd's writes through {@link RingBackend}: crash-consistent, and overlapping the reads. The
 * output is never sized ahead of what was written: at every moment its size covers only
 * bytes copied, so a copy cut short by a signal, SIGKILL, ENOSPC or power loss is a prefix
 * of what GNU dd writes. Writes go to a {@link DdWriterThread}, which makes them in order,
 * one at a time, each only after every earlier one completed, with pwrite(2) of the whole
 * block as GNU dd's write; up to {@code queueDepth} wait queued behind it. A failed write
 * has nothing behind it in the kernel and the queued ones are never made, so no write after
 * a failed one ever lands ({@code conv=notrunc} included), as with GNU dd; the file is then
 * trimmed back to the blocks written whole ({@link #settle}).
 */
final class RingOutput implements DdOutput {
    private final PosixBackend.FdFile fd;
    private final boolean regular;
    private final int queueDepth;
    /** Makes the writes, in order, one at a time; started with the first write. */
    private DdWriterThread writer;
    /** After dropDirect: writes go through the synchronous descriptor. */
    private boolean synchronous;
    /** Size before the first write of the copy; -1 until then. */
    private long sizeBefore = -1;
    /** End of the last write that succeeded with every earlier one. */
    private long writtenEnd;
    private boolean failed;

    /**
     * @param fd the output, opened by {@link PosixBackend}
     * @param regular whether it is a regular file (trimmed back after a failed write)
     * @param queueDepth writes queued behind the writer thread at most
     */
    RingOutput(PosixBackend.FdFile fd, boolean regular, int queueDepth) {
        this.fd = fd;
        this.regular = regular;
        this.queueDepth = queueDepth;
    }

    @Override public boolean seekable() { return fd.seekable(); }
    @Override public long startOffset() { return fd.startOffset(); }
    @Override public int seekErrno() { return fd.seekErrno(); }
    @Override public void seek(long offset) throws DdIoException { fd.seek(offset); }
    @Override public boolean truncatable() throws DdIoException { return fd.truncatable(); }
    /** Queued behind the writer thread, which makes them one at a time (see the class comment). */
    @Override public int maxInFlight() { return queueDepth; }
    @Override public void dropCache(long offset, long length) { fd.dropCache(offset, length); }
    @Override public void endAt(long offset) { fd.endAt(offset); }

    @Override
    public long seekEnd() throws DdIoException {
        settle();
        return fd.seekEnd();
    }

    @Override
    public void truncate(long size) throws DdIoException {
        settle();
        fd.truncate(size);
    }

    @Override
    public long size() throws DdIoException {
        settle();
        return fd.size();
    }

    @Override
    public void submitWrite(long offset, MemorySegment src) {
        if (synchronous) {
            fd.submitWrite(offset, src);
            return;
        }
        if (writer == null) {
            if (regular) {
                try {
                    sizeBefore = fd.size();
                    writtenEnd = sizeBefore;
                } catch (DdIoException e) {
                    sizeBefore = -1; // nothing to trim back to after a failure
                }
            }
            writer = new DdWriterThread(this::pwrite, "dioring-dd-writer");
        }
        writer.submit(offset, src);
    }

    /**
     * One block, on the writer thread: pwrite(2) of all of it, as GNU dd's write, continued
     * after a short write; 0 bytes written is ENOSPC, as in dd. One system call per block:
     * the kernel splits it for the device (the engine would cut it at the device's
     * max_sectors_kb, 64 KiB on zram: 16 extending writes per MiB, each with its own
     * inode lock and size update, which cost dd a third more CPU at bs=1M).
     */
    private long pwrite(long offset, MemorySegment src) throws DdIoException {
        long total = 0;
        long size = src.byteSize();
        while (total < size) {
            long n = Libc.pwrite(fd.fd(), src.asSlice(total), offset + total);
            if (n == -DdErrno.EINTR) {
                continue;
            }
            if (n < 0) {
                throw PosixBackend.error((int) n);
            }
            if (n == 0) {
                throw new DdIoException(DdErrno.ENOSPC, DdErrno.strerror(DdErrno.ENOSPC));
            }
            total += n;
        }
        return total;
    }

    @Override
    public long awaitWrite() throws DdIoException {
        if (synchronous) {
            return fd.awaitWrite();
        }
        if (writer == null) {
            throw new IllegalStateException("await with nothing submitted");
        }
        DdWriterThread.Write w = writer.awaitOldest();
        if (w.failure != null) {
            failed = true;
            // As the engine reported it: nothing counted of a failed block (the file is
            // trimmed back to the blocks written whole, see settle)
            throw w.failure instanceof DdIoException d ? new DdIoException(d.errno(), d.strerror(), 0)
                    : DdIoException.ofEngine(w.failure, 0);
        }
        if (!failed) {
            writtenEnd = Math.max(writtenEnd, w.offset + w.src.byteSize());
        }
        return w.result;
    }

    /**
     * Waits for the writes in flight. After a failed write a regular file may hold more
     * than the writes that succeeded in order (part of the failed one): it is trimmed to
     * the larger of its size before the copy and the end of those writes, what dd counts.
     */
    private void settle() throws DdIoException {
        DdIoException first = null;
        while (writer != null && writer.inFlight() > 0) {
            try {
                awaitWrite();
            } catch (DdIoException e) {
                first = first == null ? e : first;
            }
        }
        if (failed && regular && sizeBefore >= 0) {
            long keep = Math.max(sizeBefore, writtenEnd);
            sizeBefore = -1;
            fd.truncate(keep);
        }
        if (first != null && !failed) {
            throw first;
        }
    }

    @Override
    public void dropDirect() throws DdIoException {
        settle();
        fd.dropDirect();
        synchronous = true;
    }

    @Override
    public void fsync() throws DdIoException {
        settle();
        fd.fsync();
    }

    @Override
    public void fdatasync() throws DdIoException {
        settle();
        fd.fdatasync();
    }

    @Override
    public void close() throws DdIoException {
        DdIoException failure = null;
        try {
            settle();
        } catch (DdIoException e) {
            failure = e;
        }
        if (writer != null) {
            writer.close();
            writer = null;
        }
        fd.close();
        if (failure != null) {
            throw failure;
        }
    }
}
