package io.dioring.channel;

import io.dioring.DirectFile;
import io.dioring.DirectIoException;
import io.dioring.DirectIoPolicy;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.libc_h;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens the descriptor of a channel with open(2) itself (O_APPEND, O_NOFOLLOW and the
 * creation mode are the channel's, not the engine's) and hands it to the engine with
 * {@code IoEngine.adopt}: the channel owns the descriptor and closes it after the engine
 * file.
 */
final class FileOpener {
    private FileOpener() {}

    /** An engine file and its descriptor; close the file, then the descriptor. */
    record Opened(DirectFile file, int fd) {}

    static Opened open(ChannelEngine engine, Path path, ChannelOptions options, int mode) throws IOException {
        String name = path.toString();
        int flags = options.flags();
        boolean direct = options.policy() != DirectIoPolicy.OFF;
        int fd = Libc.open(name, flags | (direct ? libc_h.O_DIRECT() : 0), mode);
        if (fd == -Errno.EINVAL && direct) {
            if (options.policy() == DirectIoPolicy.REQUIRED) {
                throw new DirectIoException(Errno.EINVAL, "open", path, 0, 0,
                        "the filesystem refuses O_DIRECT; open with DirectIoPolicy.OPTIONAL or OFF to use the page cache");
            }
            direct = false;
            fd = Libc.open(name, flags, mode);
            if (fd == -Errno.EEXIST) {
                fd = Libc.open(name, flags & ~libc_h.O_EXCL(), mode); // we created it on the first try
            }
        }
        if (fd < 0) {
            throw OpenErrors.translate(new DirectIoException(-fd, "open", path, 0, 0), path);
        }
        boolean readable = (flags & 3) != libc_h.O_WRONLY(); // 3: O_ACCMODE
        try {
            return new Opened(engine.adopt(fd, path, direct, readable, options.writable()), fd);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }
}
