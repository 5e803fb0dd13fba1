package io.dioring.channel;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.dioring.Kernel;
import io.dioring.IoEngine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exception contract of {@link IoEngine#openChannel}: open errors, modes, close and interruption. */
class ChannelContractTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int LARGE_BYTES = 64 << 20;

    @TempDir
    Path dir;

    private IoEngine engine;

    @BeforeEach
    void gate() throws IOException {
        Kernel.assumeIoUring();
        engine = IoEngine.create();
    }

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
        Thread.interrupted(); // a test that interrupts itself must not leak it into the next
    }

    @Test
    void openErrorsAreTheJdksTypes() throws IOException {
        Path missing = dir.resolve("missing");
        assertThrows(NoSuchFileException.class, () -> engine.openChannel(missing, READ));
        assertThrows(NoSuchFileException.class, () -> engine.openChannel(missing, WRITE));
        // CREATE counts only when writing, as in the JDK.
        assertThrows(NoSuchFileException.class, () -> engine.openChannel(missing, READ, CREATE));
        Path existing = Files.write(dir.resolve("existing"), new byte[10]);
        assertThrows(FileAlreadyExistsException.class, () -> engine.openChannel(existing, WRITE, CREATE_NEW));
        assertThrows(IllegalArgumentException.class, () -> engine.openChannel(existing, READ, APPEND));
        assertThrows(IllegalArgumentException.class, () -> engine.openChannel(existing, APPEND, TRUNCATE_EXISTING));
        assertThrows(UnsupportedOperationException.class,
                () -> engine.openChannel(existing, READ, new OpenOption() {}));
        Path link = Files.createSymbolicLink(dir.resolve("link"), existing);
        assertThrows(java.nio.file.FileSystemException.class,
                () -> engine.openChannel(link, java.nio.file.LinkOption.NOFOLLOW_LINKS), "O_NOFOLLOW on a link");
        try (FileChannel ch = engine.openChannel(existing, READ, TRUNCATE_EXISTING)) {
            assertEquals(10, ch.size(), "TRUNCATE_EXISTING counts only when writing, as in the JDK");
        }
    }

    @Test
    void aReadOnlyChannelRefusesWritesAndAWriteOnlyChannelRefusesReads() throws IOException {
        Path p = Files.write(dir.resolve("modes"), new byte[5000]);
        try (FileChannel ro = engine.openChannel(p, READ)) {
            assertThrows(NonWritableChannelException.class, () -> ro.write(ByteBuffer.allocate(10)));
            assertThrows(NonWritableChannelException.class, () -> ro.write(ByteBuffer.allocate(10), 0));
            assertThrows(NonWritableChannelException.class, () -> ro.write(new ByteBuffer[] {ByteBuffer.allocate(1)}));
            assertThrows(NonWritableChannelException.class, () -> ro.truncate(0));
            assertEquals(100, ro.read(ByteBuffer.allocate(100), 0));
        }
        try (FileChannel wo = engine.openChannel(p, WRITE)) {
            assertThrows(NonReadableChannelException.class, () -> wo.read(ByteBuffer.allocate(10)));
            assertThrows(NonReadableChannelException.class, () -> wo.read(ByteBuffer.allocate(10), 0));
            assertThrows(NonReadableChannelException.class, () -> wo.read(new ByteBuffer[] {ByteBuffer.allocate(1)}));
            assertEquals(10, wo.write(ByteBuffer.allocate(10), 0));
        }
    }

    @Test
    void argumentsAreCheckedAtTheCall() throws IOException {
        Path p = Files.write(dir.resolve("args"), new byte[100]);
        try (FileChannel ch = engine.openChannel(p, READ, WRITE)) {
            assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(1), -1));
            assertThrows(IllegalArgumentException.class, () -> ch.write(ByteBuffer.allocate(1), -1));
            assertThrows(IllegalArgumentException.class, () -> ch.position(-1));
            assertThrows(IllegalArgumentException.class, () -> ch.truncate(-1));
            assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
            assertThrows(IndexOutOfBoundsException.class, () -> ch.read(new ByteBuffer[2], 1, 2));
            assertThrows(NullPointerException.class, () -> ch.read((ByteBuffer) null));
        }
    }

    @Test
    void aClosedChannelThrowsClosedChannelException() throws IOException {
        Path p = Files.write(dir.resolve("closed"), new byte[100]);
        FileChannel ch = engine.openChannel(p, READ, WRITE);
        ch.close();
        assertFalse(ch.isOpen());
        ch.close(); // idempotent
        ByteBuffer b = ByteBuffer.allocate(10);
        assertThrows(ClosedChannelException.class, () -> ch.read(b));
        assertThrows(ClosedChannelException.class, () -> ch.read(b, 0));
        assertThrows(ClosedChannelException.class, () -> ch.read(new ByteBuffer[] {b}));
        assertThrows(ClosedChannelException.class, () -> ch.write(b));
        assertThrows(ClosedChannelException.class, () -> ch.write(b, 0));
        assertThrows(ClosedChannelException.class, () -> ch.write(new ByteBuffer[] {b}));
        assertThrows(ClosedChannelException.class, ch::position);
        assertThrows(ClosedChannelException.class, () -> ch.position(3));
        assertThrows(ClosedChannelException.class, ch::size);
        assertThrows(ClosedChannelException.class, () -> ch.truncate(1));
        assertThrows(ClosedChannelException.class, () -> ch.force(true));
    }

    @Test
    void transferToAndFromCopyWhatTheJdkCopies() throws IOException {
        byte[] data = new byte[3_000_000];
        new SplittableRandom(7).nextBytes(data);
        Path p = Files.write(dir.resolve("transfer"), data);
        try (FileChannel ch = engine.openChannel(p, READ, WRITE)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertEquals(2_500_000, ch.transferTo(123, 2_500_000, Channels.newChannel(out)));
            assertArrayEquals(Arrays.copyOfRange(data, 123, 2_500_123), out.toByteArray());
            assertEquals(0, ch.position(), "transferTo leaves the position alone");
            assertEquals(0, ch.transferTo(data.length + 1, 10, Channels.newChannel(out)));
            out.reset();
            assertEquals(77, ch.transferTo(data.length - 77, 1000, Channels.newChannel(out)), "stops at end of file");

            byte[] incoming = new byte[1_500_000];
            new SplittableRandom(8).nextBytes(incoming);
            assertEquals(incoming.length, ch.transferFrom(
                    Channels.newChannel(new java.io.ByteArrayInputStream(incoming)), 2_900_001, 2_000_000));
            assertEquals(2_900_001L + incoming.length, ch.size());
            assertEquals(10, ch.transferFrom(Channels.newChannel(new java.io.ByteArrayInputStream(incoming)),
                    ch.size() + 1, 10), "beyond the size the file grows (the JDK since 21)");
            assertEquals(2_900_001L + incoming.length + 11, ch.size());
            ch.truncate(2_900_001L + incoming.length);
        }
        byte[] after = Files.readAllBytes(p);
        assertArrayEquals(Arrays.copyOf(data, 2_900_001), Arrays.copyOf(after, 2_900_001));
        assertArrayEquals(incoming(), Arrays.copyOfRange(after, 2_900_001, after.length));
    }

    private static byte[] incoming() {
        byte[] incoming = new byte[1_500_000];
        new SplittableRandom(8).nextBytes(incoming);
        return incoming;
    }

    @Test
    void aThreadInterruptedBeforeTheCallGetsClosedByInterruptAndTheChannelCloses() throws Exception {
        Path p = Files.write(dir.resolve("interrupted-before"), new byte[8192]);
        for (boolean virtual : new boolean[] {false, true}) {
            FileChannel ch = engine.openChannel(p, READ, WRITE);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> flag = new AtomicReference<>();
            Thread t = (virtual ? Thread.ofVirtual() : Thread.ofPlatform()).start(() -> {
                Thread.currentThread().interrupt();
                try {
                    ch.read(ChannelTests.alignedDirect(4096), 0);
                } catch (Throwable e) {
                    thrown.set(e);
                }
                flag.set(Thread.currentThread().isInterrupted());
            });
            assertTrue(t.join(WAIT), "reader finished");
            assertInstanceOf(ClosedByInterruptException.class, thrown.get(), "virtual " + virtual);
            assertTrue(flag.get(), "the interrupt status stays set");
            assertFalse(ch.isOpen(), "the interrupt closed the channel");
            assertThrows(ClosedChannelException.class, () -> ch.size());
        }
    }

    @Test
    void aThreadInterruptedWhileBlockedInALargeReadGetsClosedByInterrupt() throws Exception {
        Path p = largeFile();
        blockedCaller(p, Thread::interrupt, ClosedByInterruptException.class);
    }

    @Test
    void aCallerBlockedWhenAnotherThreadClosesGetsAsynchronousCloseException() throws Exception {
        Path p = largeFile();
        blockedCaller(p, t -> {}, AsynchronousCloseException.class);
    }

    private Path largeFile() throws IOException {
        Path p = dir.resolve("large");
        try (FileChannel ch = FileChannel.open(p, CREATE, WRITE)) {
            ch.write(ByteBuffer.allocate(LARGE_BYTES), 0);
        }
        return p;
    }

    /**
     * A thread reads 64 MiB into a heap buffer (64 bounce-buffer chunks, each a real disk
     * read); once its stack shows it inside the read, {@code act} runs on it (an interrupt)
     * or, when that does nothing, the test thread closes the channel. Should the read
     * finish before the test acts (it never has), the attempt is repeated.
     */
    private void blockedCaller(Path p, java.util.function.Consumer<Thread> act, Class<? extends Throwable> expected)
            throws Exception {
        for (int attempt = 1; attempt <= 5; attempt++) {
            FileChannel ch = engine.openChannel(p, READ);
            AtomicReference<Object> outcome = new AtomicReference<>();
            AtomicReference<Boolean> flag = new AtomicReference<>();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    outcome.set(ch.read(ByteBuffer.allocate(LARGE_BYTES), 0));
                } catch (Throwable e) {
                    outcome.set(e);
                }
                flag.set(Thread.currentThread().isInterrupted());
            });
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!insideRead(reader) && reader.isAlive()) {
                if (System.nanoTime() > deadline) {
                    fail("the reader never got inside its read");
                }
                Thread.sleep(1);
            }
            if (expected == ClosedByInterruptException.class) {
                act.accept(reader);
            } else {
                ch.close();
            }
            assertTrue(reader.join(WAIT), "the blocked reader returned");
            if (outcome.get() instanceof Integer n) {
                System.out.println("attempt " + attempt + ": the read finished (" + n + " bytes) before the test "
                        + "acted; again");
                ch.close();
                continue;
            }
            Throwable t = (Throwable) outcome.get();
            if (!expected.isInstance(t)) {
                throw new AssertionError("expected " + expected.getSimpleName() + ", got " + t, t);
            }
            assertFalse(ch.isOpen(), "channel closed");
            if (expected == ClosedByInterruptException.class) {
                assertTrue(flag.get(), "the interrupt status stays set");
            }
            return;
        }
        fail("the 64 MiB read always finished before the test could act");
    }

    private static boolean insideRead(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(AlignedTransfer.class.getName())) {
                return true;
            }
        }
        return false;
    }
}
