package io.dioring;

/** Where completion callbacks and future completions run. */
public enum CompletionMode {
    /**
     * On the engine's completion executor (created lazily, on first need). Callbacks may
     * block; the ring thread never runs user code. The default.
     *
     * <p>The engine's own executor is a cached pool of daemon platform threads: a callback
     * that blocks gets a thread to itself, so the pool grows to the number of callbacks
     * blocked at once (bounded by the requests in flight: at most every ring's queue depth
     * and submit queue) and idle threads end after 60 s. To bound it harder, or to run
     * callbacks on virtual threads, pass an executor of your own
     * ({@link EngineConfig#withCompletionExecutor}). Blocking callers
     * ({@code readFully}, {@code writeFully}) never use it: the ring thread unparks them.
     */
    DEFERRED,
    /**
     * On the ring thread, right after the completion is reaped. Fastest; the callback must
     * not block or do heavy work, or it stalls every request on that ring.
     */
    INLINE
}
