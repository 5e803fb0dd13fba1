package io.dioring.fs;

import io.dioring.IoEngine;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The platform's file system, path for path, whose files' channels and streams go through
 * an {@link IoEngine}: the provider's own (made on first use) or one given to
 * {@link IoEngine#fileSystem()}. Everything but file contents (directories, attributes,
 * file stores, watch service, path matching) is the platform's.
 */
final class DioringFileSystem extends FileSystem {
    private final FileSystemProvider provider;
    private final FileSystem platform;
    private final Supplier<IoEngine> engine;
    private final boolean closeable;
    private volatile boolean open = true;

    DioringFileSystem(FileSystemProvider provider, FileSystem platform, Supplier<IoEngine> engine,
            boolean closeable) {
        this.provider = provider;
        this.platform = platform;
        this.engine = engine;
        this.closeable = closeable;
    }

    /** The engine this file system's files are read and written through (made on first use for the provider's own). */
    IoEngine engine() {
        if (!open) {
            throw new java.nio.file.ClosedFileSystemException();
        }
        return engine.get();
    }

    DioringPath wrap(Path platformPath) {
        return new DioringPath(this, platformPath);
    }

    @Override
    public FileSystemProvider provider() {
        return provider;
    }

    /**
     * Closes a file system made by {@link IoEngine#fileSystem()} (not its engine: the
     * caller's); the provider's own cannot be closed, as the JDK's default one.
     */
    @Override
    public void close() throws IOException {
        if (!closeable) {
            throw new UnsupportedOperationException("the dioring provider's own file system cannot be closed");
        }
        open = false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isReadOnly() {
        return platform.isReadOnly();
    }

    @Override
    public String getSeparator() {
        return platform.getSeparator();
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        List<Path> roots = new ArrayList<>();
        for (Path root : platform.getRootDirectories()) {
            roots.add(wrap(root));
        }
        return roots;
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        return platform.getFileStores();
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return platform.supportedFileAttributeViews();
    }

    @Override
    public Path getPath(String first, String... more) {
        return wrap(platform.getPath(first, more));
    }

    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher matcher = platform.getPathMatcher(syntaxAndPattern);
        return path -> matcher.matches(path instanceof DioringPath d ? d.delegate() : path);
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        return platform.getUserPrincipalLookupService();
    }

    @Override
    public WatchService newWatchService() throws IOException {
        return platform.newWatchService();
    }

    @Override
    public String toString() {
        return "dioring file system over " + platform;
    }
}
