/**
 * The native layer under dioring: the io_uring and libc calls it makes, through the
 * Foreign Function and Memory API.
 *
 * <p>{@link io.dioring.ffi} is the hand-written part: system calls with errno captured,
 * libc helpers, errno names. {@link io.dioring.ffi.linux} is jextract output for
 * {@code linux/io_uring.h} and the libc headers dioring uses; it is exported because the
 * engine lays out SQEs and CQEs with it, but it is <b>internal</b>: regenerated from
 * whatever headers the build machine has, never edited by hand, and not an API anyone
 * outside dioring should call (its names and shapes change with the headers).
 *
 * <p>This module calls restricted methods (downcall handles, {@code reinterpret}), so a
 * program on the module path runs with {@code --enable-native-access=io.dioring.ffi,io.dioring}.
 */
module io.dioring.ffi {
    exports io.dioring.ffi;
    exports io.dioring.ffi.linux;
}
