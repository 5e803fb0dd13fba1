package io.dioring.channel;

import io.dioring.DirectIoException;
import io.dioring.ffi.Errno;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Turns a failed open(2) into the exception {@code FileChannel.open} throws for it. */
final class OpenErrors {
    private OpenErrors() {}

    static IOException translate(DirectIoException e, Path path) {
        String file = path.toString();
        IOException mapped = switch (e.errno()) {
            case Errno.ENOENT -> new NoSuchFileException(file, null, e.getMessage());
            case Errno.EEXIST -> new FileAlreadyExistsException(file, null, e.getMessage());
            case Errno.EACCES, Errno.EPERM -> new AccessDeniedException(file, null, e.getMessage());
            default -> new FileSystemException(file, null, e.getMessage());
        };
        mapped.initCause(e);
        return mapped;
    }
}
