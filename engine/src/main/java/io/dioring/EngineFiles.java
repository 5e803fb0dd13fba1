package io.dioring;

import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import io.dioring.file.FileProbe;
import io.dioring.file.FileState;
import java.io.IOException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's files: opens them (the options turned into open(2) flags, O_DIRECT as the
 * policy asks), wraps descriptors (alignment, size and largest I/O probed), and keeps the
 * open ones, which the engine closes when it closes.
 */
final class EngineFiles {
    private final EngineContext engine;
    private final Set<DirectFile> files = ConcurrentHashMap.newKeySet();

    EngineFiles(EngineContext engine) {
        this.engine = engine;
    }

    /** Opens {@code path}; see {@code IoEngine.open}. */
    DirectFile open(Path path, OpenOption... options) throws IOException {
        engine.checkOpen();
        boolean read = false;
        boolean write = false;
        int flags = libc_h.O_CLOEXEC();
        DirectIoPolicy policy = DirectIoPolicy.REQUIRED;
        for (OpenOption o : options) {
            if (o instanceof DirectIoPolicy p) {
                policy = p;
            } else if (o == StandardOpenOption.READ) {
                read = true;
            } else if (o == StandardOpenOption.WRITE) {
                write = true;
            } else if (o == StandardOpenOption.CREATE) {
                flags |= libc_h.O_CREAT();
            } else if (o == StandardOpenOption.CREATE_NEW) {
                flags |= libc_h.O_CREAT() | libc_h.O_EXCL();
            } else if (o == StandardOpenOption.TRUNCATE_EXISTING) {
                flags |= libc_h.O_TRUNC();
            } else if (o == StandardOpenOption.DSYNC) {
                flags |= libc_h.O_DSYNC();
            } else if (o == StandardOpenOption.SYNC) {
                flags |= libc_h.O_SYNC();
            } else {
                throw new IllegalArgumentException("open " + path + ": option " + o + " is not supported "
                        + "(positional I/O only; supported: READ, WRITE, CREATE, CREATE_NEW, TRUNCATE_EXISTING, "
                        + "DSYNC, SYNC, DirectIoPolicy)");
            }
        }
        if (!read && !write) {
            read = true;
        }
        if ((flags & libc_h.O_TRUNC()) != 0 && !write) {
            throw new IllegalArgumentException("open " + path + ": TRUNCATE_EXISTING needs WRITE");
        }
        flags |= read && write ? libc_h.O_RDWR() : write ? libc_h.O_WRONLY() : libc_h.O_RDONLY();
        String name = path.toString();
        boolean direct = policy != DirectIoPolicy.OFF;
        int fd = Libc.open(name, flags | (direct ? libc_h.O_DIRECT() : 0), 0644);
        if (fd == -Errno.EINVAL && direct) {
            if (policy == DirectIoPolicy.REQUIRED) {
                throw new DirectIoException(Errno.EINVAL, "open", path, 0, 0,
                        "the filesystem refuses O_DIRECT; open with DirectIoPolicy.OPTIONAL or OFF to use the page cache");
            }
            direct = false;
            fd = Libc.open(name, flags, 0644);
            if (fd == -Errno.EEXIST) {
                fd = Libc.open(name, flags & ~libc_h.O_EXCL(), 0644); // we created it on the first try
            }
        }
        if (fd < 0) {
            throw new DirectIoException(-fd, "open", path, 0, 0);
        }
        try {
            return wrap(fd, path, direct, read, write, true);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Wraps a descriptor the caller opened and keeps; see {@code IoEngine.adopt}. */
    DirectFile adopt(int fd, Path name, boolean direct, boolean read, boolean write) throws IOException {
        engine.checkOpen();
        if (fd < 0) {
            throw new IllegalArgumentException("adopt " + name + ": descriptor " + fd + " is negative");
        }
        return wrap(fd, name, direct, read, write, false);
    }

    private DirectFile wrap(int fd, Path path, boolean direct, boolean read, boolean write, boolean owns)
            throws IOException {
        DioAlignment alignment = FileProbe.alignment(fd);
        long size = FileProbe.size(fd);
        if (size < 0) {
            throw new DirectIoException((int) -size, "fstat", path, 0, 0);
        }
        long deviceMax = FileProbe.maxIoBytes(fd);
        long maxIo = engine.config().maxIoBytes();
        if (deviceMax > 0 && deviceMax < maxIo) {
            maxIo = Long.highestOneBit(deviceMax);
        }
        maxIo = Math.max(maxIo, alignment.offset());
        FileState state = new FileState(fd, path, direct, read, write, alignment, (int) maxIo, size);
        state.setCoalescing(engine.config().coalescing());
        DirectFile file = new DirectFile(engine, state, owns);
        files.add(file);
        try {
            engine.checkOpen(); // the engine closed meanwhile: its close may have missed this file
        } catch (IllegalStateException e) {
            file.close();
            throw e;
        }
        return file;
    }

    /** A file was closed: the engine no longer closes it. */
    void remove(Object file) {
        files.remove(file);
    }

    /** Closes every open file (each waits for its requests in flight). */
    void closeAll() {
        List<DirectFile> open = new ArrayList<>(files);
        for (DirectFile f : open) {
            f.close();
        }
    }
}
