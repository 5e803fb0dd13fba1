/**
 * Code that opens {@link java.nio.file.Path}s runs on dioring unchanged: a
 * {@link java.nio.file.spi.FileSystemProvider} whose channels and streams go through the
 * engine. See {@link io.dioring.fs.DioringFileSystemProvider}.
 */
package io.dioring.fs;
