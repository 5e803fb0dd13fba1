package io.dioring.conformance;

import io.dioring.IoEngine;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.List;

/** The doors by name. */
final class Doors {
    private Doors() {}

    static final List<String> IN_PROCESS = List.of("jdk", "openChannel");

    static Door of(String name, IoEngine engine) {
        return switch (name) {
            case "jdk" -> Door.jdk();
            case "openChannel" -> new DioringDoor(name) {
                @Override
                public FileChannel open(Path p, OpenOption... options) throws IOException {
                    return engine.openChannel(p, options);
                }
            };
            default -> throw new IllegalArgumentException("door " + name + ": not one of " + IN_PROCESS);
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
