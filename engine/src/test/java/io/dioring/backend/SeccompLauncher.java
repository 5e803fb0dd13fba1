package io.dioring.backend;

import io.dioring.child.ChildResult;
import io.dioring.child.Seccomp;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * A child JVM's main that runs any other main with io_uring denied:
 * {@code SeccompLauncher <EPERM|ENOSYS> <main class> [args...]} installs the filter
 * ({@link Seccomp#denyIoUring}) before anything touches the engine, then runs the main class
 * (a test's subject, or the {@code dioring} tool). Prints a {@code SKIPPED:} line and exits 0
 * when the filter cannot be installed here. Started by {@link DeniedIoUring}.
 */
public final class SeccompLauncher {
    private SeccompLauncher() {}

    public static void main(String[] args) throws Throwable {
        int errno = switch (args[0]) {
            case "EPERM" -> Seccomp.EPERM;
            case "ENOSYS" -> Seccomp.ENOSYS;
            default -> throw new IllegalArgumentException("errno " + args[0] + ": EPERM or ENOSYS");
        };
        String refused = Seccomp.denyIoUring(errno);
        if (refused != null) {
            System.out.println(ChildResult.SKIPPED_PREFIX + "seccomp unavailable: " + refused);
            return;
        }
        Method main = Class.forName(args[1]).getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    }
}
