package io.dioring.channel;

import io.dioring.DirectFile;
import io.dioring.IoBuffers;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * {@link FileChannel#transferTo} and {@link FileChannel#transferFrom} of a
 * {@link DirectFileChannel}, with the JDK's edge cases: a source channel not open for
 * reading (or a target not open for writing) is refused up front, even when there is
 * nothing to move; {@code transferFrom} at a position beyond the end of the file writes
 * there and grows the file (the JDK since 21), and into an APPEND channel writes at its
 * end; a thread interrupted during a transfer closes both channels.
 */
final class ChannelTransfers {
    private ChannelTransfers() {}

    static long transferTo(FileChannel self, DirectFile file, IoBuffers buffers, boolean readable, long position,
            long count, WritableByteChannel target) throws IOException {
        checkArguments("transferTo", position, count);
        checkOpen(self, target);
        if (!readable) {
            throw new NonReadableChannelException();
        }
        if (target instanceof FileChannel fc) {
            fc.write(ByteBuffer.allocate(0), 0); // NonWritableChannelException when it may not be written
        }
        long size = self.size();
        if (position >= size || count == 0) {
            return 0;
        }
        long toMove = Math.min(count, size - position);
        try {
            return pump(file, buffers, position, toMove, (buf, at) -> self.read(buf, at), (buf, at) -> target.write(buf));
        } catch (ClosedByInterruptException e) {
            closeBoth(self, target);
            throw e;
        }
    }

    static long transferFrom(FileChannel self, DirectFile file, IoBuffers buffers, boolean writable, boolean append,
            ReadableByteChannel src, long position, long count) throws IOException {
        checkArguments("transferFrom", position, count);
        checkOpen(self, src);
        if (!writable) {
            throw new NonWritableChannelException();
        }
        if (src instanceof FileChannel fc) {
            fc.read(ByteBuffer.allocate(0), 0); // NonReadableChannelException when it may not be read
        }
        if (count == 0) {
            return 0;
        }
        try {
            return pump(file, buffers, position, count, (buf, at) -> src.read(buf),
                    append ? (buf, at) -> self.write(buf) : (buf, at) -> self.write(buf, at));
        } catch (ClosedByInterruptException e) {
            closeBoth(self, src);
            throw e;
        }
    }

    private static void checkArguments(String op, long position, long count) {
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException(op + "(position " + position + ", count " + count
                    + "): both must be >= 0");
        }
    }

    private static void checkOpen(Channel self, Channel other) throws ClosedChannelException {
        if (!self.isOpen() || !other.isOpen()) {
            throw new ClosedChannelException();
        }
    }

    /** As the JDK: an interrupt during a transfer closes both ends, whichever one saw it. */
    private static void closeBoth(Channel a, Channel b) {
        for (Channel c : new Channel[] {a, b}) {
            try {
                c.close();
            } catch (IOException suppressed) {
                // The interrupt is what the caller must see.
            }
        }
    }

    /** One step of {@link #pump}: a read into, or a write from, the chunk, for file position {@code at}. */
    @FunctionalInterface
    private interface ChunkStep {
        int apply(ByteBuffer chunk, long at) throws IOException;
    }

    /**
     * Moves up to {@code count} bytes through one pooled chunk: {@code fill} until it gives
     * nothing, {@code drain} after each fill until a drain takes less than was filled (a
     * non-blocking target). Each step is told this file's position for the bytes moved so far.
     */
    private static long pump(DirectFile file, IoBuffers buffers, long position, long count, ChunkStep fill,
            ChunkStep drain) throws IOException {
        MemorySegment chunk = buffers.takeFor(file, AlignedTransfer.CHUNK_BYTES);
        try {
            ByteBuffer buf = chunk.asByteBuffer();
            long moved = 0;
            while (moved < count) {
                buf.clear().limit((int) Math.min(buf.capacity(), count - moved));
                int n = fill.apply(buf, position + moved);
                if (n <= 0) {
                    break;
                }
                buf.flip();
                int taken = 0;
                while (buf.hasRemaining()) {
                    int t = drain.apply(buf, position + moved + taken);
                    if (t <= 0) {
                        break; // a non-blocking target took nothing
                    }
                    taken += t;
                }
                moved += taken;
                if (taken < n) {
                    break; // a non-blocking target took less
                }
            }
            return moved;
        } finally {
            buffers.give(chunk);
        }
    }
}
