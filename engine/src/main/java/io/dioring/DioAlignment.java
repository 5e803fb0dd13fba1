package io.dioring;

/**
 * The alignment O_DIRECT demands of a file.
 *
 * @param memory required alignment of buffer addresses, in bytes
 * @param offset required alignment of file offsets and lengths, in bytes
 * @param source where the numbers came from: "statx" (STATX_DIOALIGN), "BLKSSZGET"
 *        (the block device's logical block size) or {@link #NONE_REPORTED} (FUSE, NFS,
 *        tmpfs: the kernel states no rule, so dioring checks none and the kernel decides
 *        each request, as it does for GNU dd)
 */
public record DioAlignment(int memory, int offset, String source) {
    /** The source when the kernel reports no alignment. */
    public static final String NONE_REPORTED = "none reported";

    public DioAlignment {
        if (Integer.bitCount(memory) != 1 || Integer.bitCount(offset) != 1) {
            throw new IllegalArgumentException("alignments must be powers of two: memory " + memory
                    + ", offset " + offset);
        }
    }

    /**
     * The kernel reports no alignment for this file: dioring enforces none (alignment 1)
     * and lets the kernel accept or refuse (EINVAL) each request.
     */
    public static DioAlignment noneReported() {
        return new DioAlignment(1, 1, NONE_REPORTED);
    }

    /** Whether the kernel stated this alignment (false: {@link #noneReported()}). */
    public boolean reported() {
        return !NONE_REPORTED.equals(source);
    }

    /** No constraint: buffered files. */
    public static DioAlignment none() {
        return new DioAlignment(1, 1, "buffered");
    }
}
