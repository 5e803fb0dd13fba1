package io.dioring.fs;

import java.net.URI;
import java.nio.file.Path;

/** The {@code dioring:} path over a platform path, as an application would name it by URI. */
final class DioringPaths {
    private DioringPaths() {}

    /** {@code dioring://} + the absolute form of {@code platform}. */
    static Path of(Path platform) {
        return Path.of(URI.create("dioring://" + platform.toAbsolutePath()));
    }

    /** {@code name} in {@code dir}: the platform's path, or with {@code dioring} the same file's {@code dioring:} path. */
    static Path in(Path dir, String name, boolean dioring) {
        Path p = dir.resolve(name).toAbsolutePath();
        return dioring ? of(p) : p;
    }
}
