package io.dioring.fs;

import io.dioring.DirectIoPolicy;
import io.dioring.IoEngine;
import io.dioring.channel.DirectFileChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.spi.FileSystemProvider;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;

/**
 * A {@link FileSystemProvider} whose files' channels and streams go through dioring's
 * io_uring engine, and whose everything else is the platform's.
 *
 * <h2>Three ways in</h2>
 * <ul>
 * <li>By URI scheme {@code dioring}: {@code Path.of(URI.create("dioring:///var/data/x"))}
 *     (the provider is installed through {@code META-INF/services} and the module's
 *     {@code provides}); its file system maps paths one to one onto the platform's, and an
 *     engine is made on first use, shared by the JVM and never closed (its threads are
 *     daemons).</li>
 * <li>{@link IoEngine#fileSystem()}: the same file system over an engine of the caller's.</li>
 * <li>For a whole application, unchanged:
 *     {@code -Djava.nio.file.spi.DefaultFileSystemProvider=io.dioring.fs.DioringFileSystemProvider};
 *     the JDK then calls {@link #DioringFileSystemProvider(FileSystemProvider)} with the
 *     platform's provider, and this provider's scheme is {@code file}.</li>
 * </ul>
 *
 * <h2>What goes through the engine</h2>
 * {@code newFileChannel}, {@code newByteChannel}, {@code newInputStream} and
 * {@code newOutputStream} (hence {@code Files.readAllBytes}, {@code Files.write},
 * {@code Files.newBufferedReader}, ...) and {@code newAsynchronousFileChannel}, for regular
 * files: {@link DirectFileChannel}s, buffered (the page cache) unless
 * {@code ExtendedOpenOption.DIRECT} is given. Directories, special files, and anything
 * under {@code /proc}, {@code /sys} and {@code /dev} are opened by the platform, as is
 * every file opened while the engine itself is being made. Everything else (directory
 * streams, attributes, copy, move, delete, links, file stores, watch service) is the
 * platform's, on the same paths.
 */
public final class DioringFileSystemProvider extends FileSystemProvider {
    /** The URI scheme of the provider loaded as an installed provider. */
    public static final String SCHEME = IoEngine.FILE_SYSTEM_SCHEME;

    private final FileSystemProvider platform;
    private final String scheme;
    private final DioringFileSystem fileSystem;

    /** The installed provider, scheme {@code dioring}, over the platform's default file system. */
    public DioringFileSystemProvider() {
        this(platformOf(FileSystems.getDefault().provider()), SCHEME);
    }

    /**
     * The default provider, scheme {@code file}, over {@code platform}: the constructor
     * {@code -Djava.nio.file.spi.DefaultFileSystemProvider} calls.
     */
    public DioringFileSystemProvider(FileSystemProvider platform) {
        this(platformOf(platform), "file");
    }

    private DioringFileSystemProvider(FileSystemProvider platform, String scheme) {
        this.platform = Objects.requireNonNull(platform, "platform provider");
        this.scheme = scheme;
        this.fileSystem = new DioringFileSystem(this, platform.getFileSystem(URI.create("file:///")),
                SharedEngine::get, false);
    }

    private static FileSystemProvider platformOf(FileSystemProvider p) {
        return p instanceof DioringFileSystemProvider d ? d.platform : p;
    }

    /** The file system of {@link IoEngine#fileSystem()}: paths as the platform's, I/O through {@code engine}. */
    public static FileSystem over(IoEngine engine) {
        Objects.requireNonNull(engine, "engine");
        FileSystemProvider platform = platformOf(FileSystems.getDefault().provider());
        DioringFileSystemProvider provider = new DioringFileSystemProvider(platform, SCHEME);
        return new DioringFileSystem(provider, platform.getFileSystem(URI.create("file:///")), () -> engine, true);
    }

    /** This provider's own file system (the default one, in default-provider mode). */
    public FileSystem fileSystem() {
        return fileSystem;
    }

    @Override
    public String getScheme() {
        return scheme;
    }

    // ---- file systems and paths ----------------------------------------------------------

    private void checkUri(URI uri) {
        if (!scheme.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("URI " + uri + ": scheme must be " + scheme);
        }
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
        checkUri(uri);
        Object engine = env.get(IoEngine.FILE_SYSTEM_ENGINE);
        if (engine instanceof IoEngine e) {
            return over(e); // IoEngine.fileSystem(): a file system over the caller's engine
        }
        if (engine != null) {
            throw new IllegalArgumentException("env " + IoEngine.FILE_SYSTEM_ENGINE + " = " + engine
                    + ": must be an io.dioring.IoEngine");
        }
        throw new FileSystemAlreadyExistsException("the " + scheme + " file system exists already: getFileSystem("
                + uri + ") gives it");
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
        checkUri(uri);
        return fileSystem;
    }

    @Override
    public Path getPath(URI uri) {
        checkUri(uri);
        if (scheme.equals("file")) {
            return fileSystem.wrap(platform.getPath(uri));
        }
        String path = uri.getPath();
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("URI " + uri + ": must be dioring:///an/absolute/path");
        }
        return fileSystem.getPath(path);
    }

    private static DioringPath cast(Path path) {
        Objects.requireNonNull(path, "path");
        if (path instanceof DioringPath d) {
            return d;
        }
        throw new ProviderMismatchException("not a dioring path: " + path + " (" + path.getClass().getName() + ")");
    }

    private static Path unwrap(Path path) {
        return cast(path).delegate();
    }

    // ---- file contents: through the engine -------------------------------------------------

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        DioringPath p = cast(path);
        Path file = p.delegate();
        if (delegated(file, options)) {
            return platform.newFileChannel(file, options, attrs);
        }
        IoEngine engine;
        try {
            engine = fileSystemOf(p).engine();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return DirectFileChannel.open(new EngineChannels(engine), file, options, DirectIoPolicy.OFF, mode(attrs));
    }

    /** The dioring file system {@code path} is of (a DioringPath is only ever made by one). */
    private static DioringFileSystem fileSystemOf(DioringPath path) {
        return (DioringFileSystem) path.getFileSystem();
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        return newFileChannel(path, options, attrs);
    }

    @Override
    public AsynchronousFileChannel newAsynchronousFileChannel(Path path, Set<? extends OpenOption> options,
            ExecutorService executor, FileAttribute<?>... attrs) throws IOException {
        if (options.contains(StandardOpenOption.APPEND)) {
            throw new UnsupportedOperationException("APPEND not allowed (as the JDK's AsynchronousFileChannel)");
        }
        Path file = unwrap(path);
        if (delegated(file, options)) {
            return platform.newAsynchronousFileChannel(file, options, executor, attrs);
        }
        boolean write = options.contains(StandardOpenOption.WRITE);
        boolean read = options.contains(StandardOpenOption.READ) || !write;
        FileChannel channel = newFileChannel(path, options, attrs);
        if (channel instanceof DirectFileChannel direct) {
            return new DioringAsyncChannel(direct, fileSystemOf(cast(path)).engine().buffers(), read, write,
                    executor);
        }
        return new DioringAsyncChannel(channel, null, read, write, executor); // opened by the platform meanwhile
    }

    /**
     * Whether the platform opens {@code file}: while the engine is being made (it reads
     * /proc and /sys itself), under /proc, /sys and /dev, and for what is not a regular
     * file (directories, devices, FIFOs) or a link not to be followed.
     */
    private boolean delegated(Path file, Set<? extends OpenOption> options) throws IOException {
        if (SharedEngine.isBeingMadeHere()) {
            return true;
        }
        String name = file.toAbsolutePath().toString();
        if (name.startsWith("/proc/") || name.startsWith("/sys/") || name.startsWith("/dev/")) {
            return true;
        }
        LinkOption[] links = options.contains(LinkOption.NOFOLLOW_LINKS)
                ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
        try {
            BasicFileAttributes a = platform.readAttributes(file, BasicFileAttributes.class, links);
            return !a.isRegularFile() && !a.isSymbolicLink(); // a link with NOFOLLOW_LINKS: open(2) refuses it (ELOOP)
        } catch (NoSuchFileException e) {
            return false; // to be created (or the open reports it missing)
        }
    }

    /** The permission bits for a file created with {@code attrs} (0666 less the umask without any). */
    private static int mode(FileAttribute<?>... attrs) {
        int mode = 0666;
        for (FileAttribute<?> a : attrs) {
            if (a.name().equals("posix:permissions") || a.name().equals("unix:permissions")) {
                mode = 0;
                for (Object o : (Set<?>) a.value()) {
                    PosixFilePermission perm = (PosixFilePermission) o;
                    mode |= 1 << (8 - perm.ordinal()); // OWNER_READ is 0400, ..., OTHERS_EXECUTE 01
                }
            } else {
                throw new UnsupportedOperationException("'" + a.name() + "' not supported as initial attribute");
            }
        }
        return mode;
    }

    // ---- everything else: the platform's ---------------------------------------------------

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        DioringPath d = cast(dir);
        DirectoryStream<Path> stream = platform.newDirectoryStream(d.delegate(),
                p -> filter.accept(fileSystemOf(d).wrap(p)));
        return new DirectoryStream<>() {
            @Override
            public Iterator<Path> iterator() {
                Iterator<Path> it = stream.iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Path next() {
                        return fileSystemOf(d).wrap(it.next());
                    }
                };
            }

            @Override
            public void close() throws IOException {
                stream.close();
            }
        };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        platform.createDirectory(unwrap(dir), attrs);
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        platform.createSymbolicLink(unwrap(link), unwrap(target), attrs);
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        platform.createLink(unwrap(link), unwrap(existing));
    }

    @Override
    public void delete(Path path) throws IOException {
        platform.delete(unwrap(path));
    }

    @Override
    public boolean deleteIfExists(Path path) throws IOException {
        return platform.deleteIfExists(unwrap(path));
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        DioringPath l = cast(link);
        return fileSystemOf(l).wrap(platform.readSymbolicLink(l.delegate()));
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        platform.copy(unwrap(source), unwrap(target), options);
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        platform.move(unwrap(source), unwrap(target), options);
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
        return path2 instanceof DioringPath && platform.isSameFile(unwrap(path), unwrap(path2));
    }

    @Override
    public boolean isHidden(Path path) throws IOException {
        return platform.isHidden(unwrap(path));
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
        return platform.getFileStore(unwrap(path));
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        platform.checkAccess(unwrap(path), modes);
    }

    @Override
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        return platform.getFileAttributeView(unwrap(path), type, options);
    }

    @Override
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        return platform.readAttributes(unwrap(path), type, options);
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
            throws IOException {
        return platform.readAttributes(unwrap(path), attributes, options);
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        platform.setAttribute(unwrap(path), attribute, value, options);
    }
}
