/**
 * The dioring command line ({@code dioring info}, {@code dd}, {@code bench}, {@code plot}):
 * built on the engine's public API ({@code io.dioring}) and the bindings' exported
 * system calls ({@code io.dioring.ffi}), nothing of the engine's internals.
 *
 * <p>The launcher runs it from one shaded jar on the class path, where this descriptor is
 * left out; compiling against it is what keeps the tools on exported packages.
 */
module io.dioring.tools {
    requires io.dioring;
    requires io.dioring.ffi;
    requires info.picocli;
    requires HdrHistogram;
    requires org.jfree.jfreechart;
    requires java.desktop;
    requires java.management;
    requires jdk.unsupported;

    // picocli reads and sets the commands' annotated fields by reflection.
    opens io.dioring.tools to info.picocli;
    opens io.dioring.tools.bench to info.picocli;
    opens io.dioring.tools.dd to info.picocli;
    opens io.dioring.tools.plot to info.picocli;
}
