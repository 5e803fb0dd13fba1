package io.dioring.tools.dd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * conv=sparse as coreutils 9.1's {@code iwrite} does it: a write whose bytes are all NUL
 * becomes a seek past them (the block then counts as written, full or partial, as a write
 * would). If the output cannot seek there (a pipe, an offset the file system refuses), dd
 * writes the block and stops trying. A file whose last output was such a seek is shorter
 * than what dd wrote, so at the end it is extended to the output offset with ftruncate.
 */
final class DdSparse {
    /** Compared against, a piece at a time: a block is NUL if it matches zeros all along. */
    private static final MemorySegment ZEROS = Arena.global().allocate(64 * 1024);

    /** A failure at the end, for dd's message. */
    record Failure(String message, DdIoException cause) {}

    private boolean enabled = true;
    private boolean finalOpWasSeek;

    /**
     * For the write of {@code block} at {@code offset}: true if it is all NUL and the output
     * was positioned after it instead (lseek SEEK_CUR by its size, from where the write would
     * start); false if it is to be written.
     */
    boolean seekedOver(DdOutput out, long offset, MemorySegment block) {
        if (block.byteSize() == 0) {
            return false; // no write call at all, as in iwrite
        }
        finalOpWasSeek = false;
        if (!enabled || !isNul(block)) {
            return false;
        }
        try {
            out.seek(Math.addExact(offset, block.byteSize()));
        } catch (DdIoException | ArithmeticException e) {
            enabled = false; // advisory: no message, the block is written
            return false;
        }
        finalOpWasSeek = true;
        return true;
    }

    /**
     * End of the copy: if the last output was a seek, a regular file shorter than
     * {@code outputOffset} is extended to it. The failure to report, or null.
     */
    Failure extendAfterFinalSeek(DdOutput out, long outputOffset, String quotedName) {
        if (!finalOpWasSeek) {
            return null;
        }
        try {
            if (!out.truncatable()) {
                return null; // GNU extends regular files (and shared memory objects) only
            }
        } catch (DdIoException e) {
            return new Failure("cannot fstat " + quotedName, e);
        }
        try {
            if (out.size() < outputOffset) {
                out.truncate(outputOffset);
            }
        } catch (DdIoException e) {
            return new Failure("failed to truncate to " + outputOffset + " bytes in output file " + quotedName, e);
        }
        return null;
    }

    static boolean isNul(MemorySegment block) {
        long size = block.byteSize();
        for (long at = 0; at < size; at += ZEROS.byteSize()) {
            long n = Math.min(ZEROS.byteSize(), size - at);
            if (MemorySegment.mismatch(block, at, at + n, ZEROS, 0, n) >= 0) {
                return false;
            }
        }
        return true;
    }
}
