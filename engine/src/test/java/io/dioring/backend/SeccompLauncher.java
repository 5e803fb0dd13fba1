package io.dioring.backend;

import io.dioring.ffi.Errno;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * A child JVM's main: {@code SeccompLauncher <EPERM|ENOSYS> <main class> [args...]} denies
 * io_uring to this process ({@link SeccompFilter}) before anything touches the engine, then
 * runs the main class. Exit status {@value #EXIT_NO_SECCOMP} (with a line on stderr) when the
 * filter cannot be installed here.
 */
public final class SeccompLauncher {
    /** The filter could not be installed: the parent test skips, printing why. */
    public static final int EXIT_NO_SECCOMP = 97;
    /** Printed first on stderr when {@link #EXIT_NO_SECCOMP}. */
    public static final String NO_SECCOMP = "SECCOMP UNAVAILABLE: ";

    private SeccompLauncher() {}

    public static void main(String[] args) throws Throwable {
        int errno = switch (args[0]) {
            case "EPERM" -> Errno.EPERM;
            case "ENOSYS" -> Errno.ENOSYS;
            default -> throw new IllegalArgumentException("errno " + args[0] + ": EPERM or ENOSYS");
        };
        String unsupported = SeccompFilter.unsupportedReason();
        if (unsupported != null) {
            System.err.println(NO_SECCOMP + unsupported);
            System.exit(EXIT_NO_SECCOMP);
        }
        int failed = SeccompFilter.install(errno);
        if (failed != 0) {
            System.err.println(NO_SECCOMP + "prctl/seccomp failed: " + Errno.describe(failed));
            System.exit(EXIT_NO_SECCOMP);
        }
        Method main = Class.forName(args[1]).getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    }
}
