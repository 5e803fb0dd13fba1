package io.dioring.backend;

import io.dioring.request.IoRequest;

/**
 * A sink whose requests the pool carries for it and hands back once they are finished
 * ({@link OwnerCompletions}, an owned ring on the thread-pool backend): the pool knows it by
 * this, not by its class.
 */
interface PoolClient {
    /** On a pool thread: a request of this client is finished (concluded and told); deliver it on the client's side. */
    void finishedOnPool(IoRequest r);
}
