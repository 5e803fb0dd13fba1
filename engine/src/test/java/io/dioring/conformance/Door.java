package io.dioring.conformance;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * One way a program gets a {@link FileChannel}: the JDK's own, {@code IoEngine.openChannel},
 * a {@code dioring:} path, or {@code FileChannel.open} with dioring as the default provider.
 * The conformance scenarios run through each; the JDK's is the reference.
 */
public interface Door {
    /** A short name for reports. */
    String name();

    /** The path this door opens for the platform path {@code p} (a {@code dioring:} path for that door). */
    Path path(Path p);

    /** {@code FileChannel.open(path(p), options)}, as this door does it. */
    FileChannel open(Path p, OpenOption... options) throws IOException;

    /** Whether channels through this door are dioring's (locks are then OFD locks, for instance). */
    boolean isDioring();

    /** The JDK's FileChannel on the platform path. */
    static Door jdk() {
        return new Door() {
            @Override
            public String name() {
                return "jdk";
            }

            @Override
            public Path path(Path p) {
                return p;
            }

            @Override
            public FileChannel open(Path p, OpenOption... options) throws IOException {
                return FileChannel.open(p, options);
            }

            @Override
            public boolean isDioring() {
                return false;
            }

            @Override
            public String toString() {
                return name();
            }
        };
    }
}
