package io.dioring.lucene;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.nio.file.FileSystems;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Child-JVM subject: runs the test class named by {@code args[0]} on the JUnit Platform and
 * prints {@code RESULT\tprovider=...\tfound=N\tsucceeded=N\tfailed=N\tskipped=N}.
 */
public final class RunJUnit {
    private RunJUnit() {}

    public static void main(String[] args) throws Exception {
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Class.forName(args[0])))
                .build(), listener);
        TestExecutionSummary s = listener.getSummary();
        s.printFailuresTo(new PrintWriter(System.err, true), 40);
        System.out.println("RESULT\tprovider=" + FileSystems.getDefault().provider().getClass().getName()
                + "\tfound=" + s.getTestsFoundCount() + "\tsucceeded=" + s.getTestsSucceededCount()
                + "\tfailed=" + (s.getTestsFailedCount() + s.getContainersFailedCount())
                + "\tskipped=" + s.getTestsSkippedCount());
        System.exit(0);
    }
}
