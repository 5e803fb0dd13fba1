package io.dioring.fs;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.Kernel;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.FileLockInterruptionException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@code lock()} waiting for a range another holder has: an interrupt closes the channel
 * and fails it with {@link FileLockInterruptionException} (the interrupt status stays set),
 * a close by another thread with {@link AsynchronousCloseException}; on dioring's channel as
 * on the JDK's. The holder is the other kind of channel: a JVM's own channels of one kind
 * would refuse an overlapping lock at once, while the JDK's POSIX record locks and dioring's
 * open-file-description locks conflict in the kernel.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockInterruptTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void gate() {
        Kernel.assumeIoUring();
    }

    private Path path(boolean dioring, String name) {
        return DioringPaths.in(tmp, name, dioring);
    }

    /** Starts {@code subject.lock()} on a thread of its own, the range being held by the other kind of channel. */
    private CompletableFuture<Throwable> blockedLock(FileChannel subject, boolean virtual, Thread[] thread) {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Runnable body = () -> {
            try {
                FileLock lock = subject.lock();
                outcome.complete(new AssertionError("lock granted: " + lock));
            } catch (Throwable t) {
                if (t instanceof FileLockInterruptionException && !Thread.currentThread().isInterrupted()) {
                    t = new AssertionError("the interrupt status was cleared", t);
                }
                outcome.complete(t);
            }
        };
        thread[0] = virtual ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body);
        return outcome;
    }

    private static void pause() throws InterruptedException {
        Thread.sleep(200); // lets the subject reach its wait; either way the outcome is the same
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void interruptClosesTheChannelAndFailsTheLock(boolean dioring) throws Exception {
        // The JDK's own lock hangs the interrupter of a virtual thread waiting in it (JDK 25:
        // VirtualThread.interrupt waits in the channel's close for a fcntl nothing wakes), so
        // virtual threads only on dioring's.
        for (boolean virtual : dioring ? new boolean[] {false, true} : new boolean[] {false}) {
            try (FileChannel holder = FileChannel.open(path(!dioring, "f" + virtual), CREATE, READ, WRITE);
                    FileChannel subject = FileChannel.open(path(dioring, "f" + virtual), READ, WRITE)) {
                FileLock held = holder.lock();
                assertNotNull(held);
                Thread[] t = new Thread[1];
                CompletableFuture<Throwable> outcome = blockedLock(subject, virtual, t);
                pause();
                assertFalse(outcome.isDone(), () -> "lock did not wait: " + outcome.join());
                t[0].interrupt();
                assertInstanceOf(FileLockInterruptionException.class, outcome.get(30, TimeUnit.SECONDS));
                assertTrue(t[0].join(java.time.Duration.ofSeconds(30)));
                assertFalse(subject.isOpen(), "the interrupt closes the channel");
                assertTrue(held.isValid());
            }
        }
    }

    @ParameterizedTest(name = "dioring={0}")
    @ValueSource(booleans = {false, true})
    void closeFailsAWaitingLock(boolean dioring) throws Exception {
        try (FileChannel holder = FileChannel.open(path(!dioring, "c"), CREATE, READ, WRITE);
                FileChannel subject = FileChannel.open(path(dioring, "c"), READ, WRITE)) {
            FileLock held = holder.lock(0, 100, false);
            Thread[] t = new Thread[1];
            CompletableFuture<Throwable> outcome = blockedLock(subject, false, t);
            pause();
            assertFalse(outcome.isDone(), () -> "lock did not wait: " + outcome.join());
            subject.close();
            assertInstanceOf(AsynchronousCloseException.class, outcome.get(30, TimeUnit.SECONDS));
            assertTrue(held.isValid());
            held.release();
            try (FileChannel again = FileChannel.open(path(dioring, "c"), READ, WRITE)) {
                FileLock lock = again.tryLock();
                assertNotNull(lock, "the closed channel's waiting lock left nothing behind");
                assertEquals(again, lock.channel());
            }
        }
    }
}
