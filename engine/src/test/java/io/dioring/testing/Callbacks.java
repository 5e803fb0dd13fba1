package io.dioring.testing;

import io.dioring.CompletionHandler;
import java.util.concurrent.CompletableFuture;

/** Completion handlers the tests share. */
public final class Callbacks {
    private Callbacks() {}

    /** A callback that completes a future: the callback API, observed like the future one. */
    public static CompletionHandler<CompletableFuture<Long>> toFuture() {
        return new CompletionHandler<>() {
            @Override
            public void completed(long bytes, CompletableFuture<Long> f) {
                f.complete(bytes);
            }

            @Override
            public void failed(Throwable failure, CompletableFuture<Long> f) {
                f.completeExceptionally(failure);
            }
        };
    }
}
