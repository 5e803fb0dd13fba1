package io.dioring;

/**
 * Receives the outcome of one read or write, in the style of
 * {@link java.nio.channels.CompletionHandler} but with a primitive result so that
 * completing a request allocates nothing.
 *
 * <p>Exactly one of the two methods is called, exactly once per request. Unless the engine
 * was configured for inline completion, they run on the engine's completion executor,
 * never on a ring thread, so they may block. A method that throws does not affect the
 * engine; the exception is reported to the thread's uncaught-exception handler.
 *
 * @param <A> the type of the attachment passed through from the call
 */
public interface CompletionHandler<A> {

    /**
     * The request finished.
     *
     * @param bytes bytes transferred: for a write always the full length; for a read the
     *        length of the longest prefix read, shorter than asked only at end of file
     * @param attachment what was passed with the request
     */
    void completed(long bytes, A attachment);

    /**
     * The request failed.
     *
     * @param failure a {@link DirectIoException} for operating errors (with errno, op,
     *        path, offset and length), or {@link java.util.concurrent.CancellationException}
     *        when the engine was closed with cancellation
     * @param attachment what was passed with the request
     */
    void failed(Throwable failure, A attachment);
}
