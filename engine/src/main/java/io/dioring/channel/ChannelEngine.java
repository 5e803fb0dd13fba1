package io.dioring.channel;

import io.dioring.DirectFile;
import io.dioring.IoBuffers;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What a channel needs of the engine it runs on: a {@link DirectFile} over a descriptor the
 * channel opened, and the engine's buffers for its bounce buffers. {@code IoEngine} and the
 * file system provider hand one to {@link DirectFileChannel#open}; the channel names no
 * engine.
 */
public interface ChannelEngine {
    /** As {@code IoEngine.adopt}: the descriptor stays the caller's (the channel closes it). */
    DirectFile adopt(int fd, Path name, boolean direct, boolean read, boolean write) throws IOException;

    /** The engine's aligned buffers. */
    IoBuffers buffers();
}
