package io.dioring.channel;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/** {@link DirectFileChannel#map}: through a platform channel on the same open file. */
final class ChannelMapping {
    private ChannelMapping() {}

    /** Refuses a mapping the channel's options do not allow, as the JDK's channel does. */
    static void check(MapMode mode, ChannelOptions options, boolean direct) {
        Objects.requireNonNull(mode, "mode");
        if (!options.readable() && (direct || options.append() || !options.writable())) {
            throw new NonReadableChannelException();
        }
        if (mode != MapMode.READ_ONLY && !options.writable()) {
            throw new NonWritableChannelException();
        }
    }

    /** A platform channel on the open file {@code fd} (through /proc/self/fd: the same file even if renamed). */
    static FileChannel platformChannel(int fd, MapMode mode) throws IOException {
        Path self = Path.of("/proc/self/fd/" + fd);
        return mode == MapMode.READ_WRITE
                ? FileChannel.open(self, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(self, StandardOpenOption.READ);
    }
}
