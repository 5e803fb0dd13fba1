package io.dioring.fs;

import io.dioring.DirectFile;
import io.dioring.IoBuffers;
import io.dioring.IoEngine;
import io.dioring.channel.ChannelEngine;
import java.io.IOException;
import java.nio.file.Path;

/** What a channel needs of an engine, through the engine's public calls. */
record EngineChannels(IoEngine engine) implements ChannelEngine {
    @Override
    public DirectFile adopt(int fd, Path name, boolean direct, boolean read, boolean write) throws IOException {
        return engine.adopt(fd, name, direct, read, write);
    }

    @Override
    public IoBuffers buffers() {
        return engine.buffers();
    }
}
