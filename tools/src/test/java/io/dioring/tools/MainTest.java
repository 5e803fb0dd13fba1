package io.dioring.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which subcommands a run registers with picocli (each costs reflection, dd's an io_uring probe). */
class MainTest {
    @Test
    void registersOnlyTheSubcommandNamed() {
        assertEquals(List.of("bench"), Main.subcommandsNeeded(new String[] {"bench", "--help"}));
        assertEquals(List.of("plot"), Main.subcommandsNeeded(new String[] {"plot", "a.hgrm", "-o", "a.png"}));
        assertEquals(List.of(), Main.subcommandsNeeded(new String[] {"--version"}));
        assertEquals(List.of(), Main.subcommandsNeeded(new String[] {"-V"}));
    }

    @Test
    void helpAndUsageErrorsRegisterThemAll() {
        assertEquals(Main.SUBCOMMANDS, Main.subcommandsNeeded(new String[] {}));
        assertEquals(Main.SUBCOMMANDS, Main.subcommandsNeeded(new String[] {"--help"}));
        assertEquals(Main.SUBCOMMANDS, Main.subcommandsNeeded(new String[] {"bnech"}));
        assertEquals(Main.SUBCOMMANDS, Main.subcommandsNeeded(new String[] {"--version", "dd"}));
        assertTrue(Main.commandLine(new String[] {"--help"}).getSubcommands().keySet()
                .containsAll(List.of("info", "dd", "bench", "plot")));
    }
}
