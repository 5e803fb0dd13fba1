package io.dioring.tools.bench;

/** Checked bench options. */
record BenchParameters(Workload workload, int bs, long size, int qd, int jobs, long runtimeNanos) {}
