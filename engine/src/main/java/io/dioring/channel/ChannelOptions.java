package io.dioring.channel;

import io.dioring.DirectIoPolicy;
import io.dioring.ffi.linux.libc_h;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * {@link java.nio.channels.FileChannel#open} options, checked with the JDK's rules and
 * turned into open(2) flags, with what the channel does itself (READ/WRITE checks,
 * DELETE_ON_CLOSE).
 *
 * @param flags open(2) flags without O_DIRECT (a writable channel opens O_RDWR: a write
 *        covering part of an alignment unit reads that unit back first)
 * @param policy whether to add O_DIRECT; always OFF for APPEND (O_APPEND writes of any
 *        length cannot keep O_DIRECT's alignment rules)
 */
record ChannelOptions(int flags, DirectIoPolicy policy, boolean readable, boolean writable, boolean append,
        boolean deleteOnClose) {

    /** O_NOFOLLOW on Linux (x86_64 and aarch64 alike); not among the generated constants. */
    static final int O_NOFOLLOW = 0x20000;

    static ChannelOptions parse(Path path, DirectIoPolicy defaultPolicy, Iterable<? extends OpenOption> options) {
        Objects.requireNonNull(path, "path");
        boolean read = false;
        boolean write = false;
        boolean append = false;
        boolean create = false;
        boolean createNew = false;
        boolean truncate = false;
        boolean deleteOnClose = false;
        int extra = 0;
        DirectIoPolicy policy = defaultPolicy;
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "open option");
            if (o == StandardOpenOption.READ) {
                read = true;
            } else if (o == StandardOpenOption.WRITE) {
                write = true;
            } else if (o == StandardOpenOption.APPEND) {
                append = true;
            } else if (o == StandardOpenOption.CREATE) {
                create = true;
            } else if (o == StandardOpenOption.CREATE_NEW) {
                createNew = true;
            } else if (o == StandardOpenOption.TRUNCATE_EXISTING) {
                truncate = true;
            } else if (o == StandardOpenOption.DELETE_ON_CLOSE) {
                deleteOnClose = true;
            } else if (o == StandardOpenOption.DSYNC) {
                extra |= libc_h.O_DSYNC();
            } else if (o == StandardOpenOption.SYNC) {
                extra |= libc_h.O_SYNC();
            } else if (o == LinkOption.NOFOLLOW_LINKS) {
                extra |= O_NOFOLLOW;
            } else if (o instanceof DirectIoPolicy p) {
                policy = p;
            } else if (isJdkDirect(o)) {
                policy = DirectIoPolicy.REQUIRED;
            } else if (o != StandardOpenOption.SPARSE) { // SPARSE: a hint the JDK ignores on Linux too
                throw new UnsupportedOperationException("open " + path + ": option " + o + " is not supported "
                        + "(supported: READ, WRITE, APPEND, CREATE, CREATE_NEW, TRUNCATE_EXISTING, DELETE_ON_CLOSE, "
                        + "DSYNC, SYNC, SPARSE, NOFOLLOW_LINKS, ExtendedOpenOption.DIRECT, DirectIoPolicy)");
            }
        }
        if (read && append) {
            throw new IllegalArgumentException("open " + path + ": READ + APPEND not allowed");
        }
        if (append && truncate) {
            throw new IllegalArgumentException("open " + path + ": APPEND + TRUNCATE_EXISTING not allowed");
        }
        if (append) {
            write = true;
            extra |= libc_h.O_APPEND();
            policy = DirectIoPolicy.OFF;
        }
        if (!read && !write) {
            read = true;
        }
        int flags = libc_h.O_CLOEXEC() | extra;
        if (write) {
            // As the JDK: CREATE, CREATE_NEW and TRUNCATE_EXISTING count only when writing.
            // Buffered and not readable: O_WRONLY, as the JDK (no alignment unit is ever read back).
            flags |= read || policy != DirectIoPolicy.OFF ? libc_h.O_RDWR() : libc_h.O_WRONLY();
            if (createNew) {
                flags |= libc_h.O_CREAT() | libc_h.O_EXCL();
            } else if (create) {
                flags |= libc_h.O_CREAT();
            }
            if (truncate) {
                flags |= libc_h.O_TRUNC();
            }
        } else {
            flags |= libc_h.O_RDONLY();
        }
        return new ChannelOptions(flags, policy, read, write, append, deleteOnClose);
    }

    /**
     * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, recognized by name: that class is in
     * the jdk.unsupported module, which the engine's module does not read.
     */
    private static boolean isJdkDirect(OpenOption o) {
        return o instanceof Enum<?> e && e.name().equals("DIRECT")
                && e.getDeclaringClass().getName().equals("com.sun.nio.file.ExtendedOpenOption");
    }
}
