package io.dioring.channel;

import io.dioring.DirectIoPolicy;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@link java.nio.channels.FileChannel#open} options, checked with the JDK's rules and
 * split into what the engine opens the file with and what the channel does itself
 * (APPEND, DELETE_ON_CLOSE).
 */
record ChannelOptions(OpenOption[] engineOptions, boolean readable, boolean writable, boolean append,
        boolean deleteOnClose) {

    static ChannelOptions parse(Path path, OpenOption... options) {
        Objects.requireNonNull(path, "path");
        boolean read = false;
        boolean write = false;
        boolean append = false;
        boolean create = false;
        boolean createNew = false;
        boolean truncate = false;
        boolean deleteOnClose = false;
        List<OpenOption> passed = new ArrayList<>();
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
            } else if (o == StandardOpenOption.DSYNC || o == StandardOpenOption.SYNC || o instanceof DirectIoPolicy) {
                passed.add(o);
            } else if (o == StandardOpenOption.SPARSE || isJdkDirect(o)) {
                // SPARSE is a hint the JDK ignores on Linux too; DIRECT is what the engine does anyway.
            } else {
                throw new UnsupportedOperationException("openChannel " + path + ": option " + o + " is not supported "
                        + "(supported: READ, WRITE, APPEND, CREATE, CREATE_NEW, TRUNCATE_EXISTING, DELETE_ON_CLOSE, "
                        + "DSYNC, SYNC, SPARSE, ExtendedOpenOption.DIRECT, DirectIoPolicy)");
            }
        }
        if (read && append) {
            throw new IllegalArgumentException("openChannel " + path + ": READ + APPEND not allowed");
        }
        if (append && truncate) {
            throw new IllegalArgumentException("openChannel " + path + ": APPEND + TRUNCATE_EXISTING not allowed");
        }
        if (append) {
            write = true;
        }
        if (!read && !write) {
            read = true;
        }
        if (read || write) {
            // Writable channels read too: a write covering part of an alignment unit reads it back first.
            // The channel itself refuses reads on a channel not opened for READ.
            passed.add(StandardOpenOption.READ);
        }
        if (write) {
            // As the JDK: CREATE, CREATE_NEW and TRUNCATE_EXISTING count only when writing.
            passed.add(StandardOpenOption.WRITE);
            if (createNew) {
                passed.add(StandardOpenOption.CREATE_NEW);
            } else if (create) {
                passed.add(StandardOpenOption.CREATE);
            }
            if (truncate) {
                passed.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
        }
        return new ChannelOptions(passed.toArray(OpenOption[]::new), read, write, append, deleteOnClose);
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
