package io.dioring.jfr;

import jdk.jfr.Event;

/** A request's JFR event, begun at submission when a recording wants it; owned by {@link IoEvents}. */
public final class EventSlot {
    Event event;

    /** For reuse: as new. */
    public void reset() {
        event = null;
    }
}
