package io.dioring.tools.dd;

import static io.dioring.tools.dd.DdErrno.EINVAL;
import static io.dioring.tools.dd.DdErrno.EIO;
import static io.dioring.tools.dd.DdErrno.ESPIPE;
import static io.dioring.tools.dd.DdErrno.strerror;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Java streams as dd's standard input and output (tests, embedding): they behave like pipes. */
final class DdStreams {
    private DdStreams() {}

    /** A Java InputStream as dd's input: a pipe (sequential, short reads are partial records). */
    static final class Input implements DdInput {
        private final InputStream in;
        private MemorySegment pending;
        private byte[] chunk = new byte[0];

        Input(InputStream in) {
            this.in = in;
        }

        @Override public boolean seekable() { return false; }
        @Override public long startOffset() { return 0; }
        @Override public int seekErrno() { return ESPIPE; }
        @Override public long usableSize() { return -1; }
        @Override public int maxInFlight() { return 1; }
        @Override public void dropCache(long offset, long length) { }

        @Override
        public void seek(long offset) throws DdIoException {
            throw new DdIoException(ESPIPE, strerror(ESPIPE));
        }

        @Override
        public long seekEnd() throws DdIoException {
            throw new DdIoException(ESPIPE, strerror(ESPIPE));
        }

        @Override
        public void submitRead(long offset, MemorySegment dst) {
            pending = dst;
        }

        @Override
        public long awaitRead() throws DdIoException {
            MemorySegment dst = pending;
            pending = null;
            int want = (int) Math.min(dst.byteSize(), 1 << 20);
            if (chunk.length < want) {
                chunk = new byte[want];
            }
            int n;
            try {
                n = in.read(chunk, 0, want);
            } catch (IOException e) {
                throw new DdIoException(EIO, strerror(EIO));
            }
            if (n <= 0) {
                return 0;
            }
            MemorySegment.copy(chunk, 0, dst, ValueLayout.JAVA_BYTE, 0, n);
            return n;
        }

        @Override
        public void close() {
            // the caller owns the stream
        }
    }

    /** A Java OutputStream as dd's output: a pipe (sequential, not seekable). */
    static final class Output implements DdOutput {
        private final OutputStream out;
        private MemorySegment pending;
        private byte[] chunk = new byte[0];

        Output(OutputStream out) {
            this.out = out;
        }

        @Override public boolean seekable() { return false; }
        @Override public long startOffset() { return 0; }
        @Override public int seekErrno() { return ESPIPE; }
        @Override public boolean truncatable() { return false; }
        @Override public long size() { return 0; }
        @Override public int maxInFlight() { return 1; }
        @Override public void dropDirect() { }
        @Override public void dropCache(long offset, long length) { }

        @Override
        public void seek(long offset) throws DdIoException {
            throw new DdIoException(ESPIPE, strerror(ESPIPE));
        }

        @Override
        public long seekEnd() throws DdIoException {
            throw new DdIoException(ESPIPE, strerror(ESPIPE));
        }

        @Override
        public void truncate(long size) throws DdIoException {
            throw new DdIoException(EINVAL, strerror(EINVAL));
        }

        @Override
        public void submitWrite(long offset, MemorySegment src) {
            pending = src;
        }

        @Override
        public long awaitWrite() throws DdIoException {
            MemorySegment src = pending;
            pending = null;
            long total = 0;
            try {
                while (total < src.byteSize()) {
                    int n = (int) Math.min(src.byteSize() - total, 1 << 20);
                    if (chunk.length < n) {
                        chunk = new byte[n];
                    }
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, total, chunk, 0, n);
                    out.write(chunk, 0, n);
                    total += n;
                }
            } catch (IOException e) {
                throw new DdIoException(EIO, strerror(EIO), total);
            }
            return total;
        }

        @Override
        public void fsync() throws DdIoException {
            flush();
        }

        @Override
        public void fdatasync() throws DdIoException {
            flush();
        }

        private void flush() throws DdIoException {
            try {
                out.flush();
            } catch (IOException e) {
                throw new DdIoException(EIO, strerror(EIO));
            }
        }

        @Override
        public void close() throws DdIoException {
            flush();
        }
    }
}
