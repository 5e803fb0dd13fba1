package io.dioring.tools.bench;

import io.dioring.CompletionHandler;
import io.dioring.DirectFile;
import io.dioring.DirectIoException;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Lays the bench file out the way fio does: a file shorter than the working size is
 * written with random data up to it, so reads hit real blocks (not holes, which the
 * filesystem answers without touching the device).
 */
final class BenchFile {
    private static final int CHUNK_BYTES = 1 << 20;
    private static final int FILL_QD = 8;

    private BenchFile() {}

    /**
     * Writes random data from the file's current size (rounded down to its alignment) up to
     * {@code size} (rounded up to it). Does nothing when the file is already large enough.
     *
     * @return bytes written
     */
    static long fill(IoEngine engine, DirectFile file, long size) throws IOException {
        long align = file.offsetAlignment();
        long end = roundUp(size, align);
        long from = file.size() / align * align;
        if (from >= end) {
            return 0;
        }
        try {
            // Turns the writes below into non-extending ones, which the engine issues asynchronously.
            file.preallocate(0, end, false);
        } catch (DirectIoException e) {
            // Filesystems without fallocate: the writes extend the file one at a time instead.
        }
        Filler filler = new Filler(file, from, end);
        try (OwnedRing ring = engine.ownedRing(FILL_QD)) {
            SplittableRandom random = new SplittableRandom(end);
            for (int i = 0; i < FILL_QD; i++) {
                MemorySegment buffer = engine.buffers().allocateFor(file, CHUNK_BYTES);
                for (long p = 0; p < CHUNK_BYTES; p += 8) {
                    buffer.set(ValueLayout.JAVA_LONG_UNALIGNED, p, random.nextLong());
                }
                filler.next(ring, buffer);
            }
            ring.drain();
        }
        if (filler.failure != null) {
            throw new IOException("filling " + file.path() + " up to " + end + " bytes: "
                    + filler.failure.getMessage(), filler.failure);
        }
        return end - from;
    }

    private static long roundUp(long v, long align) {
        return (v + align - 1) / align * align;
    }

    /** Keeps up to {@link #FILL_QD} chunk writes in flight until the end is reached. */
    private static final class Filler implements CompletionHandler<MemorySegment> {
        private final DirectFile file;
        private final long end;
        private long position;
        private OwnedRing ring;
        private Throwable failure;

        Filler(DirectFile file, long from, long end) {
            this.file = file;
            this.position = from;
            this.end = end;
        }

        void next(OwnedRing owned, MemorySegment buffer) {
            ring = owned;
            if (position >= end || failure != null) {
                return;
            }
            long n = Math.min(buffer.byteSize(), end - position);
            long at = position;
            position += n;
            ring.write(file, at, buffer.asSlice(0, n), buffer, this);
        }

        @Override
        public void completed(long bytes, MemorySegment buffer) {
            next(ring, buffer);
        }

        @Override
        public void failed(Throwable t, MemorySegment buffer) {
            if (failure == null) {
                failure = t;
            }
        }
    }
}
