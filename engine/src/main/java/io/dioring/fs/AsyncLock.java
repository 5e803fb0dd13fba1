package io.dioring.fs;

import java.io.IOException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileLock;

/** A lock of the channel underneath, as acquired by this asynchronous channel. */
final class AsyncLock extends FileLock {
    private final FileLock lock;

    AsyncLock(AsynchronousFileChannel owner, FileLock lock) {
        super(owner, lock.position(), lock.size(), lock.isShared());
        this.lock = lock;
    }

    @Override
    public boolean isValid() {
        return lock.isValid();
    }

    @Override
    public void release() throws IOException {
        lock.release();
    }
}
