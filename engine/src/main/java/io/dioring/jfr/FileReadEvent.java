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
 * One read through dioring, from submission to its single result; the counterpart of the
 * JDK's {@code jdk.FileRead}. Recorded by {@link IoEvents}.
 */
@Name("io.dioring.FileRead")
@Label("dioring File Read")
@Category({"Java Application", "dioring"})
@Description("A read of a file through dioring, from submission to completion")
@Enabled
@Threshold("20 ms")
@StackTrace(false)
public final class FileReadEvent extends jdk.jfr.Event {
    @Label("Path")
    @Description("The file read")
    String path;

    @Label("Offset")
    @Description("File offset of the first byte asked for")
    long offset;

    @Label("Bytes Asked")
    @DataAmount
    long bytesAsked;

    @Label("Bytes Read")
    @Description("Bytes transferred; 0 when the read failed")
    @DataAmount
    long bytesRead;

    @Label("End of File")
    @Description("The read came back short without an error: it reached the end of the file")
    boolean endOfFile;

    @Label("Error")
    @Description("errno of a failed read, 0 when it succeeded")
    int errno;

    @Label("Backend")
    @Description("What carried it: io_uring, threads (the thread-pool backend), or syscall (a buffered read "
            + "the page cache held, copied with preadv2 RWF_NOWAIT on its submitter's thread)")
    String backend;
}
