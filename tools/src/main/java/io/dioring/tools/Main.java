package io.dioring.tools;

import io.dioring.tools.dd.DdCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code dioring} command line; the process exits with the subcommand's status. */
@Command(name = "dioring", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Direct I/O on Linux through io_uring.",
        subcommands = {
            InfoCommand.class,
            DdCommand.class,
            io.dioring.tools.bench.BenchCommand.class,
        })
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
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
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"dioring " + (v != null ? v : "(development build)")};
        }
    }
}
