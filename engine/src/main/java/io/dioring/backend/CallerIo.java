package io.dioring.backend;

import io.dioring.deliver.Completion;
import io.dioring.jfr.IoEvents;
import io.dioring.request.IoRequest;

/**
 * A request made to its single result with blocking system calls on the calling thread: the
 * pool workers' data path ({@link PoolWorker}: slices of at most {@code maxIoBytes}, short
 * results made again for their remainder, EAGAIN/EINTR retried, the first error wins, durable
 * writes with RWF_DSYNC/RWF_SYNC), without a pool.
 *
 * <p>For a request its submitter waits for anyway: an extending write (seed 000's synchronous
 * submission). Through io_uring such a write gains nothing and costs a hop: ext4, XFS and
 * most filesystems refuse a non-blocking extending O_DIRECT write (it must update the size
 * under the inode lock), so io_uring punts it to an io-wq worker and wakes the waiter from
 * there. Measured with {@code dioring dd bs=64k iflag=direct oflag=direct} of 512 MiB (each
 * write extending), alternating: on ext4 over {@code /dev/zram0}, 1.42-1.89 s through the ring,
 * 0.64-0.74 s with pwrite on the caller (GNU dd 0.47-0.63 s); on the virtio disk, 20-27% less
 * time in a first A/B, within the disk's noise in later ones.
 */
public final class CallerIo {
    private CallerIo() {}

    /**
     * Runs {@code r} on this thread with {@code io} and ends it as a ring would
     * ({@link Completion#conclude}: its single result, its JFR event, its listener); the
     * caller delivers it.
     */
    public static void run(PositionalIo io, IoRequest r) {
        PoolWorker.runGuarded(io, null, r, "synchronous " + r.opName());
        Completion.conclude(r, false, IoEvents.SYSCALL);
    }
}
