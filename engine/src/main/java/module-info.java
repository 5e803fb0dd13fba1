/**
 * dioring: direct I/O for Java through io_uring.
 *
 * <p>The API is the package {@link io.dioring}: start with {@link io.dioring.IoEngine}; and
 * {@link io.dioring.fs}, a {@link java.nio.file.spi.FileSystemProvider} (scheme {@code dioring},
 * or the default one) whose files are read and written through the engine. Everything else in
 * this module is the engine's own and not exported.
 *
 * <p>The module calls restricted methods, as does {@code io.dioring.ffi} under it: run with
 * {@code --enable-native-access=io.dioring.ffi,io.dioring} on the module path, or
 * {@code --enable-native-access=ALL-UNNAMED} on the class path.
 *
 * <p>It records the JFR events {@code io.dioring.FileRead}, {@code io.dioring.FileWrite} and
 * {@code io.dioring.FileForce} (see the README), hence {@code jdk.jfr}.
 */
module io.dioring {
    requires io.dioring.ffi;
    requires jdk.jfr;

    exports io.dioring;
    exports io.dioring.fs;

    provides java.nio.file.spi.FileSystemProvider with io.dioring.fs.DioringFileSystemProvider;
}
