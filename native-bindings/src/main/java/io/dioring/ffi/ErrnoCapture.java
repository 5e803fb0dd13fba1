package io.dioring.ffi;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * The one downcall every libc function and system call of dioring goes through, the errno it
 * captures, and the per-thread slot it writes errno to.
 *
 * <p><b>One handle for every call.</b> Creating a downcall handle spins a class and a native
 * stub per distinct function descriptor, 3–4 ms each before the JIT has warmed up; a process
 * that made a handle per libc function spent about 140 ms of a 0.26 s {@code dioring dd}
 * doing it. So there is a single handle, of the shape of {@code syscall(2)}: a C
 * {@code long} result and seven C {@code long} arguments, variadic after the first, errno
 * captured ({@link Linker.Option#captureCallState}), and the function's address an
 * argument of each call. On the 64-bit Linux ABIs the FFM linker supports (x86-64 System V,
 * AArch64 AAPCS64, as well as RISC-V and POWER) integer and pointer arguments travel in
 * 64-bit registers whatever their C type, a variadic integer argument travels exactly as a
 * named one, and arguments beyond what the callee declares are never read. So a function
 * taking {@code (int, void *, size_t)} is called with its three values widened to
 * {@code long} and zeros after them; an {@code int} result is the low half of the
 * {@code long} returned ({@code (int)} cast), since the upper half is undefined.
 *
 * <p>Pointers are passed as addresses ({@link #address}): the caller keeps the memory alive
 * for the call, as every caller in dioring does with memory it owns.
 */
public final class ErrnoCapture {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET =
            LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    /** {@code long f(long, ...)}, seven arguments: called as (function, errno slot, a0..a6). */
    private static final MethodHandle CALL = LINKER.downcallHandle(
            FunctionDescriptor.of(JAVA_LONG, sevenLongs()),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));

    /** One slot per thread, freed with the thread (virtual threads included). */
    private static final ThreadLocal<MemorySegment> SLOT =
            ThreadLocal.withInitial(ErrnoCapture::allocateSlot);

    private ErrnoCapture() {}

    private static MemoryLayout[] sevenLongs() {
        MemoryLayout[] layouts = new MemoryLayout[7];
        Arrays.fill(layouts, JAVA_LONG);
        return layouts;
    }

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

    /** The address of libc's {@code name}, for {@link #call}. */
    public static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /**
     * The address of {@code segment}, to pass as a pointer argument of {@link #call}: it must be
     * native memory that is still alive (the checks a pointer-typed downcall argument would make).
     */
    public static long address(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("not native memory (a heap segment has no address to pass to C): "
                    + segment);
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("the segment's arena is closed: " + segment);
        }
        return segment.address();
    }

    /**
     * Calls {@code function} (from {@link #symbol}) with up to seven integer or pointer
     * arguments widened to {@code long} (unused ones zero) and stores errno in {@code slot}.
     *
     * @return the C result as a {@code long}; cast to {@code int} for a function returning one
     */
    public static long call(MemorySegment function, MemorySegment slot, long a0, long a1, long a2, long a3,
            long a4, long a5, long a6) {
        try {
            return (long) CALL.invokeExact(function, slot, a0, a1, a2, a3, a4, a5, a6);
        } catch (Throwable t) {
            throw new AssertionError("downcall failed unexpectedly", t);
        }
    }
}
