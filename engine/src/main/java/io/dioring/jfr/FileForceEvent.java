package io.dioring.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * One fsync or fdatasync through dioring, from submission to completion; the counterpart
 * of the JDK's {@code jdk.FileForce}. Recorded by {@link IoEvents}.
 */
@Name("io.dioring.FileForce")
@Label("dioring File Force")
@Category({"Java Application", "dioring"})
@Description("An fsync or fdatasync of a file through dioring, from submission to completion")
@Enabled
@Threshold("20 ms")
@StackTrace(false)
public final class FileForceEvent extends jdk.jfr.Event {
    @Label("Path")
    @Description("The file forced")
    String path;

    @Label("Update Metadata")
    @Description("fsync (data and metadata) rather than fdatasync (data)")
    boolean metaData;

    @Label("Error")
    @Description("errno of a failed sync, 0 when it succeeded")
    int errno;

    @Label("Backend")
    @Description("What carried it: io_uring, threads (the thread-pool backend), or syscall (an extending "
            + "write made with pwrite on its submitter's thread)")
    String backend;
}
