package io.dioring.tools.dd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * conv=sparse as coreutils 9.1's {@code iwrite} does it: a write whose bytes are all NUL
 * becomes a seek past them (the block then counts as written, full or partial, as a write
 * would). If the output cannot seek there (a pipe, an offset the file system refuses), dd
 * writes the block and stops trying. A file whose last output was such a seek is shorter
 * than what dd wrote, so at the end it is extended to the output offset with ftruncate.
 *
 * <p>The seek is relative to the descriptor's offset, which is where the block would have
 * been written, except with oflag=append: there every write leaves the offset at the end of
 * the file, and a zero block after a write is skipped from there (GNU's arithmetic, so the
 * same file size comes out).
 */
final class DdSparse {
    /** Compared against, a piece at a time: a block is NUL if it matches zeros all along. */
    private static final MemorySegment ZEROS = Arena.global().allocate(64 * 1024);

    /** A failure at the end, for dd's message. */
    record Failure(String message, DdIoException cause) {}

    private final boolean append;
    private boolean enabled = true;
    private boolean finalOpWasSeek;
    /** Whether any write went out since the last seek (or ever, before the first). */
    private boolean wroteSinceSeek;
    /** Where the last seek put the descriptor's offset. */
    private long seekedTo = -1;

    DdSparse(boolean append) {
        this.append = append;
    }

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
            wroteSinceSeek = true;
            return false;
        }
        try {
            long from = offset;
            if (append) {
                from = wroteSinceSeek ? out.size() : seekedTo >= 0 ? seekedTo : offset;
            }
            long target = Math.addExact(from, block.byteSize());
            out.seek(target);
            seekedTo = target;
        } catch (DdIoException | ArithmeticException e) {
            enabled = false; // advisory: no message, the block is written
            wroteSinceSeek = true;
            return false;
        }
        wroteSinceSeek = false;
        finalOpWasSeek = true;
        return true;
    }

    /**
     * End of the copy: if the last output was a seek, a regular file shorter than the
     * offset it left is extended to it. The failure to report, or null.
     */
    Failure extendAfterFinalSeek(DdOutput out, String quotedName) {
        if (!finalOpWasSeek) {
            return null;
        }
        long outputOffset = seekedTo;
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
