package io.dioring.tools.bench;

/**
 * Checked bench options.
 *
 * @param fixedBuffers whether each job registers its buffers with its ring (READ_FIXED/WRITE_FIXED)
 * @param submitBatch requests queued by handlers before they are submitted ({@code OwnedRing.submitBatch})
 */
record BenchParameters(Workload workload, int bs, long size, int qd, int jobs, long runtimeNanos,
        boolean fixedBuffers, int submitBatch) {}
