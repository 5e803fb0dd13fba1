package io.dioring.lucene;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** {@code dioring:} paths for the tests' platform paths. */
final class DioringPaths {
    private DioringPaths() {}

    static Path of(Path p) {
        try {
            return Path.of(new URI("dioring", null, p.toAbsolutePath().toString(), null));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
        }
    }
}
