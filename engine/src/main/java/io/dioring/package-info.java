/**
 * Direct I/O for Java through io_uring: the whole public API of module {@code io.dioring}.
 *
 * <p>Start with {@link io.dioring.IoEngine#create()}: it sets up the rings, opens files
 * ({@link io.dioring.IoEngine#open}, O_DIRECT by default, see
 * {@link io.dioring.DirectIoPolicy}) and hands out aligned buffers
 * ({@link io.dioring.IoEngine#buffers()}). A {@link io.dioring.DirectFile} reads and writes
 * with futures, allocation-free {@link io.dioring.CompletionHandler} callbacks, or blocking
 * calls; operating errors arrive as {@link io.dioring.DirectIoException} with errno, op, path,
 * offset and length. {@link io.dioring.OwnedRing} is a ring the calling thread drives itself.
 *
 * <p>Run with {@code --enable-native-access=io.dioring.ffi,io.dioring} on the module path, or
 * {@code --enable-native-access=ALL-UNNAMED} on the class path. Every request is recorded as
 * a JFR event ({@code io.dioring.FileRead}, {@code io.dioring.FileWrite},
 * {@code io.dioring.FileForce}) when a recording asks for it.
 */
package io.dioring;
