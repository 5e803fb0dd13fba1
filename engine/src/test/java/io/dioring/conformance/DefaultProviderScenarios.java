package io.dioring.conformance;

import io.dioring.fs.DioringFileSystemProvider;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Child-JVM subject: runs every {@link ChannelScenarios} scenario through plain
 * {@code FileChannel.open}, in a JVM started with dioring as the default provider, and
 * prints {@code RESULT\tprovider=...\tpassed=N\tfailed=M\tfailures=a,b}.
 */
public final class DefaultProviderScenarios {
    private DefaultProviderScenarios() {}

    public static void main(String[] args) throws Exception {
        String provider = FileSystems.getDefault().provider().getClass().getName();
        List<String> failures = new ArrayList<>();
        int passed = 0;
        if (FileSystems.getDefault().provider() instanceof DioringFileSystemProvider) {
            Path root = Files.createTempDirectory("dioring-default-provider");
            try {
                Door door = Doors.defaultProvider();
                for (ChannelScenarios.Scenario s : ChannelScenarios.all()) {
                    Path dir = Files.createDirectory(root.resolve(s.name()));
                    try {
                        s.body().run(door, dir);
                        passed++;
                    } catch (Throwable t) {
                        failures.add(s.name());
                        StringWriter w = new StringWriter();
                        t.printStackTrace(new PrintWriter(w));
                        System.err.println("scenario " + s.name() + " failed: " + w);
                    }
                }
            } finally {
                try (Stream<Path> all = Files.walk(root)) {
                    for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
        System.out.println("RESULT\tprovider=" + provider + "\tpassed=" + passed + "\tfailed=" + failures.size()
                + "\tfailures=" + String.join(",", failures));
        System.exit(0);
    }
}
