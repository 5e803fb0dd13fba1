package io.dioring;

/**
 * Set-up wishes for a ring. Each one the kernel refuses is dropped and reported in
 * {@link RingSetup}, never silently assumed.
 *
 * @param singleIssuer IORING_SETUP_SINGLE_ISSUER (only the creating thread submits)
 * @param deferTaskrun IORING_SETUP_DEFER_TASKRUN (completion work runs when we reap)
 * @param coopTaskrun IORING_SETUP_COOP_TASKRUN (no IPI to interrupt us for task work)
 * @param sqpoll IORING_SETUP_SQPOLL (a kernel thread polls the SQ)
 * @param iopoll IORING_SETUP_IOPOLL (busy-poll completions; O_DIRECT on polled queues only)
 * @param sqpollIdleMillis how long the SQPOLL thread spins before sleeping
 */
public record RingOptions(boolean singleIssuer, boolean deferTaskrun, boolean coopTaskrun,
        boolean sqpoll, boolean iopoll, int sqpollIdleMillis) {

    /** The defaults: SINGLE_ISSUER + DEFER_TASKRUN + COOP_TASKRUN, no polling. */
    public static RingOptions defaults() {
        return new RingOptions(true, true, true, false, false, 1000);
    }

    /** For a ring driven from several threads over its life (no SINGLE_ISSUER). */
    public RingOptions withoutSingleIssuer() {
        return new RingOptions(false, false, coopTaskrun, sqpoll, iopoll, sqpollIdleMillis);
    }

    public RingOptions withSqpoll(boolean on) {
        return new RingOptions(singleIssuer, deferTaskrun && !on, coopTaskrun, on, iopoll, sqpollIdleMillis);
    }

    public RingOptions withIopoll(boolean on) {
        return new RingOptions(singleIssuer, deferTaskrun, coopTaskrun, sqpoll, on, sqpollIdleMillis);
    }
}
