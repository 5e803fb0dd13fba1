package io.dioring.request;

/** Somewhere a request can be handed to be issued: a ring's inbox or an owner's loop. */
public interface RequestSink {
    /** Takes the request; may block while the sink is full. Callable from any thread. */
    void accept(IoRequest request);
}
