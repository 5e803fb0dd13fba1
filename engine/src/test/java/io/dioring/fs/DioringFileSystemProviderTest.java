package io.dioring.fs;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.DELETE_ON_CLOSE;
import static java.nio.file.StandardOpenOption.DSYNC;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.SYNC;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.IoEngine;
import io.dioring.Kernel;
import io.dioring.channel.DirectFileChannel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider's paths, options and delegation; channels' contract is the conformance suite's. */
class DioringFileSystemProviderTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void gate() throws Exception {
        Kernel.assumeIoUring();
        dir = DioringPaths.of(tmp);
    }

    @Test
    void aDioringUriGivesAPathOfTheProviderMappingOneToOne() {
        assertInstanceOf(DioringFileSystemProvider.class, dir.getFileSystem().provider());
        assertEquals("dioring", dir.toUri().getScheme());
        assertEquals(tmp.toAbsolutePath().toString(), dir.toString());
        assertEquals(dir, Path.of(dir.toUri()), "the URI round trip");
        Path child = dir.resolve("a/b/../c");
        assertEquals(tmp.resolve("a/c").toString(), child.normalize().toString());
        assertSame(dir.getFileSystem(), child.getFileSystem());
        assertTrue(child.startsWith(dir));
        assertEquals(dir.getFileSystem().getPath("a", "c"), dir.relativize(child.normalize()));
        assertThrows(ProviderMismatchException.class, () -> dir.resolve(tmp));
        assertTrue(dir.getFileSystem().getPathMatcher("glob:**/*.txt").matches(dir.resolve("x.txt")));
    }

    @Test
    void channelsAndStreamsGoThroughTheEngine() throws Exception {
        Path f = dir.resolve("data.txt");
        Files.writeString(f, "one\ntwo\n");
        assertEquals("one\ntwo\n", Files.readString(tmp.resolve("data.txt")), "the platform sees it");
        assertEquals(List.of("one", "two"), Files.readAllLines(f));
        try (BufferedReader r = Files.newBufferedReader(f)) {
            assertEquals("one", r.readLine());
        }
        try (SeekableByteChannel ch = Files.newByteChannel(f, READ)) {
            assertInstanceOf(DirectFileChannel.class, ch);
            assertFalse(((DirectFileChannel) ch).file().isDirect(), "buffered unless DIRECT is asked");
        }
        try (OutputStream out = Files.newOutputStream(f, java.nio.file.StandardOpenOption.APPEND)) {
            out.write("three\n".getBytes(StandardCharsets.US_ASCII));
        }
        byte[] all = Files.readAllBytes(f);
        assertEquals("one\ntwo\nthree\n", new String(all, StandardCharsets.US_ASCII));
        try (InputStream in = Files.newInputStream(f)) {
            assertArrayEquals(all, in.readAllBytes());
        }
        byte[] big = new byte[5 << 20];
        new java.util.SplittableRandom(3).nextBytes(big);
        Files.write(f, big);
        assertArrayEquals(big, Files.readAllBytes(tmp.resolve("data.txt")));
        assertArrayEquals(big, Files.readAllBytes(f));
    }

    @Test
    void directIsAskedWithExtendedOpenOption() throws Exception {
        Path f = dir.resolve("direct");
        try (FileChannel ch = FileChannel.open(f, CREATE, READ, WRITE, jdkDirect())) {
            assertTrue(((DirectFileChannel) ch).file().isDirect());
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertEquals(3, ch.size());
        }
    }

    /** ExtendedOpenOption.DIRECT (jdk.unsupported, which the tests' module does not read). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static java.nio.file.OpenOption jdkDirect() throws ClassNotFoundException {
        return (java.nio.file.OpenOption) Enum.valueOf((Class) Class.forName("com.sun.nio.file.ExtendedOpenOption"),
                "DIRECT");
    }

    @Test
    void openOptionsAsTheJdkReadsThem() throws Exception {
        Path f = dir.resolve("opts");
        Files.write(f, new byte[10]);
        assertThrows(FileAlreadyExistsException.class, () -> Files.newByteChannel(f, CREATE_NEW, WRITE));
        assertThrows(NoSuchFileException.class, () -> Files.newByteChannel(dir.resolve("missing"), READ));
        try (SeekableByteChannel ch = Files.newByteChannel(f, WRITE, SYNC, DSYNC)) {
            ch.write(ByteBuffer.wrap(new byte[] {7}));
        }
        Path gone = dir.resolve("gone");
        try (SeekableByteChannel ch = Files.newByteChannel(gone, CREATE, WRITE, DELETE_ON_CLOSE)) {
            ch.write(ByteBuffer.wrap(new byte[] {7}));
            assertTrue(Files.exists(gone));
        }
        assertFalse(Files.exists(gone), "DELETE_ON_CLOSE");
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, f);
        assertEquals(f.toString(), Files.readSymbolicLink(link).toString());
        assertThrows(FileSystemException.class, () -> Files.newByteChannel(link, READ, LinkOption.NOFOLLOW_LINKS));
        try (SeekableByteChannel ch = Files.newByteChannel(link, READ)) {
            assertEquals(10, ch.size(), "the link followed");
        }
        Path secret = dir.resolve("secret");
        Files.newByteChannel(secret, Set.of(CREATE_NEW, WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))).close();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
    }

    @Test
    void everythingElseIsThePlatforms() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("x/y"));
        Files.writeString(sub.resolve("f1"), "1");
        Files.copy(sub.resolve("f1"), sub.resolve("f2"));
        Files.move(sub.resolve("f2"), sub.resolve("f3"), StandardCopyOption.ATOMIC_MOVE);
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(sub)) {
            for (Path p : ds) {
                assertSame(dir.getFileSystem(), p.getFileSystem());
                names.add(p.getFileName().toString());
            }
        }
        names.sort(null);
        assertEquals(List.of("f1", "f3"), names);
        try (var walk = Files.walk(dir)) {
            assertEquals(5, walk.count());
        }
        assertEquals(1, Files.size(sub.resolve("f3")));
        assertTrue(Files.isDirectory(sub));
        try (FileChannel dirChannel = FileChannel.open(sub, READ)) {
            dirChannel.force(true); // as Lucene syncs a directory: the platform's channel
        }
        Files.delete(sub.resolve("f1"));
        assertFalse(Files.exists(sub.resolve("f1")));
        assertTrue(Files.isSameFile(sub, dir.resolve("x/y/.")));
    }

    @Test
    void aFileSystemOverAnExistingEngine() throws Exception {
        try (IoEngine engine = IoEngine.create()) {
            FileSystem fs = engine.fileSystem();
            Path f = fs.getPath(tmp.toString(), "over");
            Files.write(f, new byte[] {1, 2, 3});
            long before = engine.slicesIssued() + engine.cachedReads();
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
            assertTrue(engine.slicesIssued() + engine.cachedReads() > before,
                    "the read went through this engine (its ring, or the page cache on the caller)");
            fs.close();
            assertThrows(java.nio.file.ClosedFileSystemException.class, () -> Files.readAllBytes(f));
        }
    }

    @Test
    void theJdksNewFileSystemTakesAnEngineInItsEnvironment() throws Exception {
        try (IoEngine engine = IoEngine.create()) {
            URI uri = URI.create(IoEngine.FILE_SYSTEM_SCHEME + ":///");
            try (FileSystem fs = java.nio.file.FileSystems.newFileSystem(uri,
                    java.util.Map.of(IoEngine.FILE_SYSTEM_ENGINE, engine))) {
                Path f = fs.getPath(tmp.toString(), "env");
                Files.write(f, new byte[] {4, 5});
                long before = engine.slicesIssued() + engine.cachedReads();
                assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(f));
                assertTrue(engine.slicesIssued() + engine.cachedReads() > before,
                        "the read went through the engine given in env (a ring, or its page-cache path)");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> java.nio.file.FileSystems.newFileSystem(uri, java.util.Map.of(IoEngine.FILE_SYSTEM_ENGINE, "x")));
            assertTrue(e.getMessage().contains(IoEngine.FILE_SYSTEM_ENGINE) && e.getMessage().contains("IoEngine"),
                    e.getMessage());
        }
    }
}
