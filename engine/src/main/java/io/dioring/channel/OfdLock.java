package io.dioring.channel;

import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.stat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link FileLock} held as an open-file-description lock (fcntl {@code F_OFD_SETLK}) on a
 * channel's own descriptor: it conflicts with the JDK's locks and other processes' as
 * {@code FileChannel} locks do, and, unlike a POSIX record lock, closing another descriptor
 * of the file does not drop it. Closing the channel does (its descriptor is the only one on
 * its open file description).
 *
 * <p>Within one JVM, as the JDK's {@code FileLockTable}: a lock or tryLock overlapping one
 * that any dioring channel of the JVM holds (or is waiting for) on the same file, by device
 * and inode, throws {@link OverlappingFileLockException}, shared or not, whatever path or
 * link opened it. Against the JDK's own channels in the same JVM (whose table dioring cannot
 * see) and other processes the kernel decides: {@code tryLock} returns null, {@code lock}
 * waits. A waiting {@code lock} retries until granted (see {@code waitFor}): an interrupt closes the
 * channel and fails it with {@link java.nio.channels.FileLockInterruptionException}, another
 * thread's close with {@link java.nio.channels.AsynchronousCloseException}, as the JDK's.
 */
final class OfdLock extends FileLock {
    private static final int F_OFD_SETLK = 37;
    private static final short F_RDLCK = 0;
    private static final short F_WRLCK = 1;
    private static final short F_UNLCK = 2;
    /** struct flock on 64-bit Linux: l_type, l_whence (shorts), l_start, l_len (off_t), l_pid. */
    private static final long FLOCK_BYTES = 32;

    /** The locks the JVM's dioring channels hold or wait for, by file. Guarded by itself. */
    private static final Map<FileKey, List<OfdLock>> JVM_LOCKS = new HashMap<>();

    private final Table table;
    private final int fd;
    private final FileKey file;
    private volatile boolean released;

    private OfdLock(FileChannel channel, long position, long size, boolean shared, Table table, int fd,
            FileKey file) {
        super(channel, position, size, shared);
        this.table = table;
        this.fd = fd;
        this.file = file;
    }

    /** A file as the kernel knows it, whichever name or link opened it. */
    private record FileKey(long device, long inode) {
        static FileKey of(FileChannel channel, int fd) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment st = arena.allocate(stat.layout());
                int r = Libc.fstat(fd, st);
                if (r < 0) {
                    if (!channel.isOpen()) {
                        throw new ClosedChannelException();
                    }
                    throw new IOException("lock " + channel + ": fstat: " + Errno.describe(-r));
                }
                return new FileKey(stat.st_dev(st), stat.st_ino(st));
            }
        }
    }

    /** Reserves {@code lock}'s range in the JVM's table, or throws if another lock there overlaps it. */
    private static void reserve(OfdLock lock) {
        synchronized (JVM_LOCKS) {
            List<OfdLock> locks = JVM_LOCKS.computeIfAbsent(lock.file, k -> new ArrayList<>());
            for (OfdLock other : locks) {
                if (other.overlaps(lock.position(), lock.size())) {
                    throw new OverlappingFileLockException();
                }
            }
            locks.add(lock);
        }
    }

    private static void unreserve(OfdLock lock) {
        synchronized (JVM_LOCKS) {
            List<OfdLock> locks = JVM_LOCKS.get(lock.file);
            if (locks != null && locks.remove(lock) && locks.isEmpty()) {
                JVM_LOCKS.remove(lock.file);
            }
        }
    }

    @Override
    public boolean isValid() {
        return !released && channel().isOpen();
    }

    @Override
    public void release() throws IOException {
        if (released) {
            return;
        }
        if (!channel().isOpen()) {
            throw new ClosedChannelException();
        }
        int r = fcntl(fd, F_OFD_SETLK, F_UNLCK, position(), size());
        if (r < 0) {
            throw new IOException("release lock of " + channel() + ": " + Errno.describe(-r));
        }
        released = true;
        table.remove(this);
    }

    private static int fcntl(int fd, int command, short type, long position, long size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flock = arena.allocate(FLOCK_BYTES, 8);
            flock.set(ValueLayout.JAVA_SHORT, 0, type);
            flock.set(ValueLayout.JAVA_SHORT, 2, (short) 0); // SEEK_SET
            flock.set(ValueLayout.JAVA_LONG, 8, position);
            flock.set(ValueLayout.JAVA_LONG, 16, size == Long.MAX_VALUE ? 0 : size); // 0: to the end, however far
            return Libc.fcntl(fd, command, flock.address());
        }
    }

    /** The locks one channel holds. */
    static final class Table {
        private final List<OfdLock> held = new ArrayList<>();
        /** Whether {@link #invalidateAll} ran: the channel is closing its descriptor. Guarded by this. */
        private boolean closed;

        /** {@code lock} ({@code wait}) or {@code tryLock}: null when another holder has it. */
        FileLock lock(FileChannel channel, int fd, long position, long size, boolean shared, boolean wait)
                throws IOException {
            if (position < 0 || size < 0 || (size > 0 && position + size < 0)) {
                throw new IllegalArgumentException("lock(position " + position + ", size " + size
                        + "): both must be >= 0 and their sum must not overflow");
            }
            OfdLock lock = new OfdLock(channel, position, size, shared, this, fd, FileKey.of(channel, fd));
            synchronized (this) {
                reserve(lock); // no other thread or channel of the JVM may take an overlapping one now
                held.add(lock);
            }
            boolean taken = false;
            try {
                short type = shared ? F_RDLCK : F_WRLCK;
                int r = wait ? waitFor(channel, fd, type, position, size) : fcntl(fd, F_OFD_SETLK, type, position, size);
                if (r == -Errno.EAGAIN || r == -Errno.EACCES) {
                    return null;
                }
                if (r < 0) {
                    if (!channel.isOpen() || r == -Errno.EINTR) {
                        throw new ClosedChannelException(); // the caller's end() says how: interrupt or close
                    }
                    throw new IOException("lock " + channel + " [" + position + ", +" + size + "): "
                            + Errno.describe(-r));
                }
                taken = true;
                return lock;
            } finally {
                if (!taken) {
                    remove(lock);
                }
            }
        }

        /**
         * Tries the lock until it is granted, the channel closes or the thread is interrupted
         * (then -EINTR), pausing between attempts from 1 ms up to 50 ms. Not F_OFD_SETLKW: a
         * thread blocked in fcntl wakes for neither an interrupt nor a close of the descriptor
         * (the JDK breaks it out with a signal, which a pure-Java library cannot send), and it
         * would pin a virtual thread's carrier. The price: a waiter here is not queued by the
         * kernel, so a range taken back at once by others may be granted to them first.
         */
        private int waitFor(FileChannel channel, int fd, short type, long position, long size) {
            long pauseNanos = 1_000_000L;
            while (true) {
                int r;
                synchronized (this) { // not after invalidateAll: the descriptor's number may be another file's by then
                    if (closed || Thread.currentThread().isInterrupted() || !channel.isOpen()) {
                        return -Errno.EINTR;
                    }
                    r = fcntl(fd, F_OFD_SETLK, type, position, size);
                }
                if (r != -Errno.EAGAIN && r != -Errno.EACCES) {
                    return r;
                }
                LockSupport.parkNanos(pauseNanos);
                pauseNanos = Math.min(2 * pauseNanos, 50_000_000L);
            }
        }

        synchronized void remove(OfdLock lock) {
            held.remove(lock);
            unreserve(lock);
        }

        /** The channel closed: its locks went with its descriptor. */
        synchronized void invalidateAll() {
            closed = true;
            for (OfdLock lock : held) {
                lock.released = true;
                unreserve(lock);
            }
            held.clear();
        }
    }
}
