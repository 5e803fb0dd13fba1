package io.dioring.tools;

import io.dioring.tools.bench.BenchCommand;
import io.dioring.tools.dd.DdCommand;
import io.dioring.tools.plot.PlotCommand;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code dioring} command line; the process exits with the subcommand's status.
 *
 * <p>Subcommands are registered lazily: picocli reflects over every registered command and
 * instantiates it, and {@code dd}'s constructor probes io_uring, so a run registers only the
 * subcommand it names (none for {@code --version}); help and usage errors register them all.
 *
 * <p>Two runs skip picocli altogether, since its classes (compiled for Java 5) cannot be
 * linked ahead of time into the AOT cache and cost more to load than the work itself:
 * {@code dd}, whose operands are GNU dd's words that picocli hands over unparsed anyway, and a
 * lone {@code --version}.
 */
@Command(name = "dioring", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Direct I/O on Linux through io_uring.")
public final class Main implements Runnable {
    /** Every subcommand, in the order help lists them. */
    static final List<String> SUBCOMMANDS = List.of("info", "dd", "bench", "plot");

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("dd")) {
            System.exit(new DdCommand().run(List.of(args).subList(1, args.length)));
        }
        if (isLoneVersionRequest(args)) {
            System.out.println(Version.text());
            System.exit(0);
        }
        System.exit(commandLine(args).execute(args));
    }

    static boolean isLoneVersionRequest(String[] args) {
        return args.length == 1 && (args[0].equals("-V") || args[0].equals("--version"));
    }

    /** The command line for these arguments, with the subcommands they need registered. */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        for (String name : subcommandsNeeded(args)) {
            cl.addSubcommand(name, newSubcommand(name));
        }
        return cl;
    }

    /**
     * The subcommands a run with these arguments needs: the one named first (the top-level
     * command has no option that takes a value), none for a lone version request, else all.
     */
    static List<String> subcommandsNeeded(String[] args) {
        if (args.length > 0 && SUBCOMMANDS.contains(args[0])) {
            return List.of(args[0]);
        }
        if (isLoneVersionRequest(args)) {
            return List.of();
        }
        return SUBCOMMANDS;
    }

    private static Object newSubcommand(String name) {
        return switch (name) {
            case "info" -> new InfoCommand();
            case "dd" -> new DdCommand();
            case "bench" -> new BenchCommand();
            case "plot" -> new PlotCommand();
            default -> throw new IllegalArgumentException("no subcommand named '" + name + "'; known: "
                    + SUBCOMMANDS);
        };
    }

    /** Without a subcommand: a usage error (status 2) listing the subcommands. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** The version from the jar's manifest, when there is one. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {text()};
        }

        static String text() {
            String v = Main.class.getPackage().getImplementationVersion();
            return "dioring " + (v != null ? v : "(development build)");
        }
    }
}
