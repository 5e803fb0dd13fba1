package io.dioring.channel;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The interruptible-I/O scaffold of {@link DirectFileChannel}, written once: each blocking
 * operation runs between {@code begin()} and {@code end(completed)} of
 * {@link java.nio.channels.spi.AbstractInterruptibleChannel}, so an interrupt closes the
 * channel ({@link java.nio.channels.ClosedByInterruptException}) and another thread's close
 * is reported as {@link java.nio.channels.AsynchronousCloseException}.
 */
abstract class InterruptibleFileChannel extends FileChannel {

    /**
     * One blocking operation of this channel, on {@code buffer} (null for none) at
     * {@code position}: bytes moved, -1 at the end of file, or 0. The per-call values are
     * arguments, so the hot paths pass operations made once and allocate nothing.
     */
    @FunctionalInterface
    interface Io {
        long run(java.nio.ByteBuffer buffer, long position) throws IOException;
    }

    /**
     * Runs {@code io} as an interruptible blocking operation, between {@code begin()} and
     * {@code end(completed)} (see the class doc: an interrupt or another thread's close
     * makes {@code end} throw). DirectFile throws IllegalStateException for a request after
     * close. If this channel was closed meanwhile, that is the asynchronous close end()
     * reports; otherwise it is a bug (or the engine was closed under the channel) and goes
     * to the caller.
     *
     * @return what {@code io} returned (when it did not complete, {@code end} throws)
     */
    final long interruptibly(Io io, java.nio.ByteBuffer buffer, long position) throws IOException {
        long n = 0;
        boolean done = false;
        try {
            begin();
            n = io.run(buffer, position);
            done = true;
        } catch (IllegalStateException e) {
            if (isOpen()) {
                throw e;
            }
        } finally {
            end(done && isOpen());
        }
        return n;
    }

    final void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    /** Waits for {@code f} without giving up on an interrupt (see {@link #interruptibly}); throws its IOException. */
    static void join(CompletableFuture<Long> f) throws IOException {
        try {
            f.join(); // uninterruptible: an interrupt has already closed the channel, and end() reports it
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }
}
