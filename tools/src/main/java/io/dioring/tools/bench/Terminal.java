package io.dioring.tools.bench;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Asks libc's {@code isatty} about a file descriptor. {@code System.console()} only speaks
 * for stdin and stdout together, and the status line cares about stderr alone.
 */
final class Terminal {
    static final int STDERR_FD = 2;

    private Terminal() {}

    /** Whether {@code fd} is a terminal; false where libc has no isatty. */
    static boolean isTerminal(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd " + fd + ": must be a file descriptor (>= 0)");
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle isatty = linker.defaultLookup().find("isatty")
                .map(symbol -> linker.downcallHandle(symbol,
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT)))
                .orElse(null);
        if (isatty == null) {
            return false;
        }
        try {
            return (int) isatty.invokeExact(fd) == 1;
        } catch (Throwable t) {
            throw new IllegalStateException("isatty(" + fd + ") failed", t);
        }
    }
}
