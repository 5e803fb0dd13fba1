package io.dioring.jfr;

import io.dioring.deliver.Ticket;
import jdk.jfr.Event;

/**
 * A request's JFR event, begun at submission when a recording wants it; owned by {@link IoEvents}.
 * A layer of the request object ({@code request.IoRequest} extends it), not an object of its own.
 *
 * @param <R> the request type (the part does not name it)
 */
public abstract class EventSlot<R> extends Ticket<R> {
    Event event;

    protected EventSlot() {}

    /** For reuse: as new. */
    protected void resetEvent() {
        event = null;
    }
}
