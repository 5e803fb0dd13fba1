package io.dioring.tools.bench;

/**
 * Checked bench options.
 *
 * @param fixedBuffers whether each job registers its buffers with its ring (READ_FIXED/WRITE_FIXED)
 */
record BenchParameters(Workload workload, int bs, long size, int qd, int jobs, long runtimeNanos,
        boolean fixedBuffers) {}
