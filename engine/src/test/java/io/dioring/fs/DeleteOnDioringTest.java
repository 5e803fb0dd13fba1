package io.dioring.fs;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.Kernel;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code delete} on {@code dioring:} paths behaves as the platform's, and returns: Lucene's
 * {@code BaseDirectoryTestCase.testPendingDeletions} once spun for 70 minutes creating and
 * deleting files (the cause was the test's own wait for a virus checker the {@code dioring:}
 * path had dropped, see lucene-tests' {@code DioringPaths}); these pin down the provider's
 * side of it. Each runs under a preemptive timeout: a hang fails, it does not wait forever.
 */
class DeleteOnDioringTest {
    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void gate() {
        Kernel.assumeIoUring();
        dir = DioringPaths.of(tmp);
    }

    @Test
    void deletingAFileOpenThroughTheEngineSucceedsAsOnLinuxAndItsChannelStillReads() {
        assertTimeoutPreemptively(BOUND, () -> {
            Path f = dir.resolve("open.bin");
            try (FileChannel ch = FileChannel.open(f, Set.of(CREATE_NEW, READ, WRITE))) {
                ch.write(ByteBuffer.wrap("still here".getBytes(StandardCharsets.US_ASCII)), 0);
                Files.delete(f);
                assertFalse(Files.exists(f), "deleted while open: the name is gone");
                assertFalse(Files.exists(tmp.resolve("open.bin")), "and on the platform's path too");
                ByteBuffer back = ByteBuffer.allocate(10);
                assertEquals(10, ch.read(back, 0));
                assertEquals("still here", new String(back.array(), StandardCharsets.US_ASCII),
                        "the open description keeps the data (unlink semantics)");
                assertEquals(10, ch.size());
            }
        });
    }

    @Test
    void deletingAFileOpenForStreamingSucceeds() {
        assertTimeoutPreemptively(BOUND, () -> {
            Path f = dir.resolve("stream.bin");
            try (OutputStream out = Files.newOutputStream(f)) {
                out.write(1);
                assertTrue(Files.deleteIfExists(f));
                out.write(2); // writes to the unlinked file are the platform's behaviour too
            }
            assertFalse(Files.deleteIfExists(f));
            assertThrows(NoSuchFileException.class, () -> Files.delete(f));
        });
    }

    @Test
    void aRefusedDeleteThrowsAtOnce() {
        assertTimeoutPreemptively(BOUND, () -> {
            Path sub = Files.createDirectory(dir.resolve("sub"));
            Files.write(sub.resolve("x"), new byte[] {1});
            assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(sub));
            assertThrows(NoSuchFileException.class, () -> Files.delete(dir.resolve("missing")));
        });
    }

    @Test
    void createAndDeleteManyFilesWhileOthersStayOpen() {
        assertTimeoutPreemptively(BOUND, () -> {
            Path kept = dir.resolve("kept");
            try (FileChannel open = FileChannel.open(kept, Set.of(CREATE_NEW, WRITE))) {
                for (int i = 0; i < 500; i++) {
                    Path f = dir.resolve("_" + i + ".tmp");
                    try (OutputStream out = Files.newOutputStream(f)) {
                        out.write(i);
                    }
                    Files.delete(f);
                    assertFalse(Files.exists(f), f::toString);
                }
                assertTrue(open.isOpen());
            }
            try (var names = Files.list(dir)) {
                assertEquals(1, names.count(), "only the kept file is left");
            }
        });
    }
}
