package io.dioring.fs;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Objects;

/**
 * A path of a {@link DioringFileSystem}: the platform's path of the same name underneath,
 * every operation done on it and the result wrapped again.
 */
final class DioringPath implements Path {
    /** The {@code DioringFileSystem} this path is of (as the JDK's type: a path names no file system class). */
    private final FileSystem fs;
    private final Path delegate;

    DioringPath(FileSystem fs, Path delegate) {
        this.fs = fs;
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The platform's path underneath. */
    Path delegate() {
        return delegate;
    }

    private DioringPath wrap(Path p) {
        return p == null ? null : new DioringPath(fs, p);
    }

    /** The platform path of {@code other}, a path of this file system. */
    private Path unwrap(Path other) {
        Objects.requireNonNull(other, "path");
        if (other instanceof DioringPath d) {
            return d.delegate;
        }
        throw new ProviderMismatchException("not a dioring path: " + other + " (" + other.getClass().getName() + ")");
    }

    @Override
    public FileSystem getFileSystem() {
        return fs;
    }

    @Override
    public boolean isAbsolute() {
        return delegate.isAbsolute();
    }

    @Override
    public Path getRoot() {
        return wrap(delegate.getRoot());
    }

    @Override
    public Path getFileName() {
        return wrap(delegate.getFileName());
    }

    @Override
    public Path getParent() {
        return wrap(delegate.getParent());
    }

    @Override
    public int getNameCount() {
        return delegate.getNameCount();
    }

    @Override
    public Path getName(int index) {
        return wrap(delegate.getName(index));
    }

    @Override
    public Path subpath(int beginIndex, int endIndex) {
        return wrap(delegate.subpath(beginIndex, endIndex));
    }

    @Override
    public boolean startsWith(Path other) {
        return other instanceof DioringPath d && d.fs == fs && delegate.startsWith(d.delegate);
    }

    @Override
    public boolean endsWith(Path other) {
        return other instanceof DioringPath d && d.fs == fs && delegate.endsWith(d.delegate);
    }

    @Override
    public Path normalize() {
        return wrap(delegate.normalize());
    }

    @Override
    public Path resolve(Path other) {
        return wrap(delegate.resolve(unwrap(other)));
    }

    @Override
    public Path relativize(Path other) {
        return wrap(delegate.relativize(unwrap(other)));
    }

    @Override
    public URI toUri() {
        URI platform = delegate.toUri();
        if (fs.provider().getScheme().equals(platform.getScheme())) {
            return platform; // the default provider: file: URIs, as the JDK requires
        }
        try {
            return new URI(fs.provider().getScheme(), null, platform.getPath(), null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("URI of " + delegate + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Path toAbsolutePath() {
        return wrap(delegate.toAbsolutePath());
    }

    @Override
    public Path toRealPath(LinkOption... options) throws IOException {
        return wrap(delegate.toRealPath(options));
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
            throws IOException {
        return delegate.register(watcher, events, modifiers); // the platform's watch service (see DioringFileSystem)
    }

    @Override
    public int compareTo(Path other) {
        return delegate.compareTo(unwrap(other));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DioringPath d && d.fs == fs && d.delegate.equals(delegate);
    }

    @Override
    public int hashCode() {
        return delegate.hashCode();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
