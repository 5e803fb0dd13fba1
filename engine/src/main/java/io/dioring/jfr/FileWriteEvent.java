package io.dioring.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * One write through dioring, from submission to its single result; the counterpart of the
 * JDK's {@code jdk.FileWrite}. Recorded by {@link IoEvents}.
 */
@Name("io.dioring.FileWrite")
@Label("dioring File Write")
@Category({"Java Application", "dioring"})
@Description("A write to a file through dioring, from submission to completion")
@Enabled
@Threshold("20 ms")
@StackTrace(false)
public final class FileWriteEvent extends jdk.jfr.Event {
    @Label("Path")
    @Description("The file written")
    String path;

    @Label("Offset")
    @Description("File offset of the first byte written")
    long offset;

    @Label("Bytes Asked")
    @DataAmount
    long bytesAsked;

    @Label("Bytes Written")
    @Description("Bytes transferred; 0 when the write failed")
    @DataAmount
    long bytesWritten;

    @Label("Durable")
    @Description("The write was made durable (fsync or fdatasync) before it completed")
    boolean durable;

    @Label("Error")
    @Description("errno of a failed write, 0 when it succeeded")
    int errno;

    @Label("Backend")
    @Description("What carried it: io_uring, threads (the thread-pool backend), or syscall (an extending "
            + "write made with pwrite on its submitter's thread)")
    String backend;
}
