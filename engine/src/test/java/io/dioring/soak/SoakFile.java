package io.dioring.soak;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One soaked file and the model of what must be in it.
 *
 * <p>The file is {@link #LANES} lanes of {@link #LANE} bytes. A worker takes one lane
 * (tryLock) and the file's read lock for one operation, so the bytes of a lane change only
 * through its holder and the model of those bytes is exact; the workers of different lanes
 * run at once, through different doors. Truncate, close/reopen and a full check take the
 * write lock (nothing in flight). The size is known within bounds while lanes extend the
 * file at once: {@link #sizeLow} is the largest end of a completed write (or the size set by
 * truncate), {@link #sizeHigh} the largest end of an issued one.
 */
final class SoakFile {
    static final int LANE = 64 * 1024;
    static final int LANES = 8;
    static final int CAPACITY = LANE * LANES;
    /** On the FUSE share: writes overlapping the last block fail with EIO (faultfs write_eio). */
    static final long POISON = CAPACITY - 4096;

    final String name;
    final Path path;
    final boolean fuse;
    final int slot;
    final byte[] model = new byte[CAPACITY];
    final AtomicLong sizeLow = new AtomicLong();
    final AtomicLong sizeHigh = new AtomicLong();
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    final ReentrantLock[] lanes = new ReentrantLock[LANES];
    volatile DirectFile file;
    volatile FileChannel channel;

    SoakFile(String name, Path path, boolean fuse, int slot) {
        this.name = name;
        this.path = path;
        this.fuse = fuse;
        this.slot = slot;
        for (int i = 0; i < LANES; i++) {
            lanes[i] = new ReentrantLock();
        }
    }

    void open(IoEngine engine) throws IOException {
        file = engine.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channel = engine.openChannel(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    void close() throws IOException {
        FileChannel c = channel;
        DirectFile f = file;
        if (c != null) {
            c.close();
        }
        if (f != null) {
            f.close();
        }
    }

    void wrote(long offset, byte[] data, int from, int length) {
        System.arraycopy(data, from, model, (int) offset, length);
        sizeLow.accumulateAndGet(offset + length, Math::max);
    }

    void truncated(long size) {
        java.util.Arrays.fill(model, (int) Math.min(size, CAPACITY), CAPACITY, (byte) 0);
        sizeLow.set(size);
        sizeHigh.set(size);
    }

    /**
     * Checks a read of {@code n} bytes at {@code offset}: n within what the size bounds allow
     * (low taken before the read was issued, high after it completed), and every byte the
     * model's. Returns null when right, else what is wrong (naming file, offset, operation).
     */
    String check(String op, long offset, int asked, long n, long low, long high, MemorySegment got) {
        long min = Math.clamp(low - offset, 0, asked);
        long max = Math.clamp(high - offset, 0, asked);
        if (n < min || n > max) {
            return name + " offset " + offset + " " + op + ": read " + n + " of " + asked + " bytes, expected "
                    + (min == max ? min : "between " + min + " and " + max) + " (size " + low + ".." + high + ")";
        }
        for (int i = 0; i < n; i++) {
            byte b = got.get(ValueLayout.JAVA_BYTE, i);
            if (b != model[(int) offset + i]) {
                int wrong = 0;
                for (int j = i; j < n; j++) {
                    wrong += got.get(ValueLayout.JAVA_BYTE, j) != model[(int) offset + j] ? 1 : 0;
                }
                return name + " offset " + (offset + i) + " " + op + ": expected 0x"
                        + Integer.toHexString(model[(int) offset + i] & 0xff) + " found 0x"
                        + Integer.toHexString(b & 0xff) + " (" + wrong + " wrong bytes from there in " + n + ")";
            }
        }
        return null;
    }

    /** With the write lock held: reads the whole file through the engine; null or what is wrong. */
    String fullCheck(String when) throws IOException {
        long size = sizeLow.get();
        if (size != sizeHigh.get()) {
            return name + " " + when + ": size unsettled " + size + ".." + sizeHigh.get() + " with nothing in flight";
        }
        long actual = java.nio.file.Files.size(path);
        if (actual != size) {
            return name + " offset " + Math.min(actual, size) + " " + when + ": file size " + actual
                    + ", model size " + size;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(CAPACITY, 4096);
            long n = file.readFully(0, buf);
            return check(when + " full read", 0, CAPACITY, n, size, size, buf);
        }
    }
}
