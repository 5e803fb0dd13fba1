package io.dioring.conformance;

import io.dioring.IoEngine;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.List;

/** The doors by name. */
final class Doors {
    private Doors() {}

    static final List<String> IN_PROCESS = List.of("jdk", "openChannel", "dioringPath");

    static Door of(String name, IoEngine engine) {
        return switch (name) {
            case "jdk" -> Door.jdk();
            case "openChannel" -> new DioringDoor(name) {
                @Override
                public FileChannel open(Path p, OpenOption... options) throws IOException {
                    return engine.openChannel(p, options);
                }
            };
            case "dioringPath" -> new DioringDoor(name) {
                @Override
                public Path path(Path p) {
                    return dioringPath(p);
                }

                @Override
                public FileChannel open(Path p, OpenOption... options) throws IOException {
                    FileChannel ch = FileChannel.open(dioringPath(p), options);
                    assert ch instanceof io.dioring.channel.DirectFileChannel : "through the engine: " + ch;
                    return ch;
                }
            };
            default -> throw new IllegalArgumentException("door " + name + ": not one of " + IN_PROCESS);
        };
    }

    /** {@code dioring:} + the absolute path of {@code p}. */
    static Path dioringPath(Path p) {
        try {
            return Path.of(new URI("dioring", null, p.toAbsolutePath().toString(), null));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
        }
    }

    /** {@code FileChannel.open} on the default file system, when dioring is its provider (in a child JVM). */
    static Door defaultProvider() {
        return new DioringDoor("defaultProvider") {
            @Override
            public FileChannel open(Path p, OpenOption... options) throws IOException {
                FileChannel ch = FileChannel.open(p, options);
                if (!(ch instanceof io.dioring.channel.DirectFileChannel)) {
                    throw new AssertionError("not through the engine: " + ch.getClass().getName());
                }
                return ch;
            }
        };
    }

    private abstract static class DioringDoor implements Door {
        private final String name;

        DioringDoor(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Path path(Path p) {
            return p;
        }

        @Override
        public boolean isDioring() {
            return true;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
