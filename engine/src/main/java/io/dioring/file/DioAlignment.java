package io.dioring.file;

/**
 * The alignment O_DIRECT demands of a file.
 *
 * @param memory required alignment of buffer addresses, in bytes
 * @param offset required alignment of file offsets and lengths, in bytes
 * @param source where the numbers came from: "statx" (STATX_DIOALIGN), "BLKSSZGET"
 *        (the block device's logical block size) or "default" (4096, when the kernel
 *        reports nothing)
 */
public record DioAlignment(int memory, int offset, String source) {
    /** Used when the kernel reports nothing; safe on every device we know. */
    public static final int DEFAULT = 4096;

    public DioAlignment {
        if (Integer.bitCount(memory) != 1 || Integer.bitCount(offset) != 1) {
            throw new IllegalArgumentException("alignments must be powers of two: memory " + memory
                    + ", offset " + offset);
        }
    }

    /** No constraint: buffered files. */
    public static DioAlignment none() {
        return new DioAlignment(1, 1, "buffered");
    }
}
