package io.dioring.file;

/**
 * What a concluded write's delivery owes its file's sync barriers: a count of writes
 * concluded but not yet delivered, kept by {@link InFlightWrites}. Whoever delivers the write
 * takes the hold from it ({@link WriteOrder#takeDeliveryHold}) and, once the write's result is
 * in its owner's hands (its INLINE callback returned, its future completed, its blocking caller
 * woken, its DEFERRED result handed to the executor), calls {@link #delivered} exactly once.
 *
 * <p>An interface so that the request's layer ({@link WriteOrder}) names no ordering class.
 *
 * @param <R> the request type
 */
public interface DeliveryHold<R> {
    /**
     * One write taken out of the count; never blocks.
     *
     * @return the barriers this released, linked through {@link WriteOrder#unlinkNextHeld} in
     *         admission order, or null; the caller issues them
     */
    R delivered();
}
