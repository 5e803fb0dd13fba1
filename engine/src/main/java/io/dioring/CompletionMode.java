package io.dioring;

/** Where completion callbacks and future completions run. */
public enum CompletionMode {
    /**
     * On the engine's completion executor (created lazily, on first need). Callbacks may
     * block; the ring thread never runs user code. The default.
     */
    DEFERRED,
    /**
     * On the ring thread, right after the completion is reaped. Fastest; the callback must
     * not block or do heavy work, or it stalls every request on that ring.
     */
    INLINE
}
