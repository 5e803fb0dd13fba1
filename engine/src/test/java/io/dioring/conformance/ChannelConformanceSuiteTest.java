package io.dioring.conformance;


import io.dioring.IoEngine;
import io.dioring.Kernel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link ChannelScenarios} scenario through every in-process door: the JDK's channel
 * (the reference: a scenario failing there is a wrong scenario), {@code IoEngine.openChannel}
 * and a {@code dioring:} path. The default-provider door runs in a child JVM
 * ({@link DefaultProviderConformanceTest}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChannelConformanceSuiteTest {
    private static IoEngine engine;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        Kernel.assumeIoUring();
        engine = IoEngine.create();
    }

    @AfterAll
    static void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String door : Doors.IN_PROCESS) {
            for (ChannelScenarios.Scenario s : ChannelScenarios.all()) {
                cases.add(Arguments.of(door, s));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void scenario(String door, ChannelScenarios.Scenario scenario) throws Exception {
        Path own = Files.createDirectory(dir.resolve(scenario.name()));
        scenario.body().run(Doors.of(door, engine), own);
    }
}
