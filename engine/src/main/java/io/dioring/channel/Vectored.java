package io.dioring.channel;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Scattering reads and gathering writes of a {@link DirectFileChannel}: one buffer after another. */
final class Vectored {
    private Vectored() {}

    /**
     * Reads into {@code dsts[offset, offset + length)} from {@code position} on, until the
     * buffers are full or the file ends.
     *
     * @return bytes read; -1 when the file ended before the first byte
     */
    static long read(AlignedTransfer transfer, ByteBuffer[] dsts, int offset, int length, long position)
            throws IOException {
        long total = 0;
        boolean endOfFile = false;
        for (int i = offset; i < offset + length && !endOfFile; i++) {
            ByteBuffer dst = dsts[i];
            if (!dst.hasRemaining()) {
                continue;
            }
            int n = transfer.read(dst, position + total);
            if (n < 0) {
                endOfFile = true;
            } else {
                total += n;
                endOfFile = dst.hasRemaining(); // short: the file ended inside this buffer
            }
        }
        return total == 0 && endOfFile ? -1 : total;
    }

    /** Writes {@code srcs[offset, offset + length)} from {@code position} on (at the end with {@code append}). */
    static long write(AlignedTransfer transfer, ByteBuffer[] srcs, int offset, int length, long position,
            boolean append) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += transfer.write(srcs[i], position + total, append);
        }
        return total;
    }
}
