package io.dioring.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Downcall handles that capture errno, and the per-thread slot they write it to.
 *
 * <p>Every handle built here takes the capture segment as its first argument
 * ({@link Linker.Option#captureCallState}), so errno is read right after the call,
 * before the JVM can run anything that would overwrite it.
 */
public final class ErrnoCapture {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET =
            LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** One slot per thread, freed with the thread (virtual threads included). */
    private static final ThreadLocal<MemorySegment> SLOT =
            ThreadLocal.withInitial(ErrnoCapture::allocateSlot);

    private ErrnoCapture() {}

    /** A fresh slot for a caller that keeps its own (a ring's owner thread, say). */
    public static MemorySegment allocateSlot() {
        return Arena.ofAuto().allocate(LAYOUT);
    }

    /** This thread's slot. */
    public static MemorySegment slot() {
        return SLOT.get();
    }

    /** The errno a capturing call stored in {@code slot}. */
    public static int errno(MemorySegment slot) {
        return slot.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    /** A handle for {@code symbol} that writes errno to its first (segment) argument. */
    public static MethodHandle downcall(MemorySegment symbol, FunctionDescriptor descriptor,
            Linker.Option... more) {
        Linker.Option[] options = new Linker.Option[more.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, options, 1, more.length);
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** Variadic variant: arguments from {@code firstVariadic} on are passed as C varargs. */
    public static MethodHandle variadic(MemorySegment symbol, FunctionDescriptor descriptor,
            int firstVariadic) {
        return downcall(symbol, descriptor, Linker.Option.firstVariadicArg(firstVariadic));
    }
}
