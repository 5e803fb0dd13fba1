package io.dioring.ring;

import io.dioring.ffi.Errno;

/** What to do about a refused registration, for the message that reports it. */
final class RegistrationHints {
    private RegistrationHints() {}

    /** A hint for the errno the kernel refused {@code bytes} of buffers with (0: unknown), or "". */
    static String hint(int errno, long bytes) {
        return switch (errno) {
            case Errno.ENOMEM, Errno.EPERM -> ": registered buffers are pinned in RAM and count against "
                    + "RLIMIT_MEMLOCK (" + memlockLimit() + "); raise it (ulimit -l, LimitMEMLOCK=, "
                    + "limits.conf), grant CAP_IPC_LOCK" + (bytes > 0 ? ", or register fewer than " + bytes + " bytes"
                            : "");
            case Errno.EFAULT -> ": the memory cannot be pinned (file-backed or not mapped); use anonymous "
                    + "memory such as IoBuffers.allocate";
            case Errno.EBUSY -> ": this ring already has registered buffers; unregister them first";
            default -> "";
        };
    }

    /** "8388608 bytes" from /proc/self/limits, for messages only. */
    static String memlockLimit() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    String[] f = line.substring("Max locked memory".length()).trim().split("\\s+");
                    return "soft limit " + f[0] + (f[0].equals("unlimited") ? "" : " " + f[2]);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // fall through: the message just lacks the number
        }
        return "limit unknown";
    }
}
