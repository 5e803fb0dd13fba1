package io.dioring.tools.dd;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code dioring dd}: GNU dd's operands, output bytes, messages and exit status (coreutils
 * 9.1), plus {@code qd=N}, the number of blocks in flight.
 *
 * <p>Operands are {@code key=value} words, not options: picocli hands every argument over
 * unparsed, and dd's own rules apply ({@code --help}, {@code --version}, {@code --}, and
 * "invalid option" for anything else that starts with a dash).
 */
@Command(name = "dd", description = "Copy a file, converting and formatting according to the operands "
        + "(GNU dd compatible; qd=N keeps N blocks in flight).")
public final class DdCommand implements Callable<Integer> {
    static final String TRY_HELP = "Try 'dioring dd --help' for more information.";

    @Unmatched
    List<String> arguments = new ArrayList<>();

    private final DdBackend backend;
    private final PrintStream stdout;
    private final PrintStream stderr;
    private final Map<String, String> env;
    private final LongSupplier clock;
    /** Whether this process is dd's own: it then handles signals as GNU dd does. */
    private boolean ownsProcess;

    /**
     * The command as the CLI runs it: file descriptors 0, 1 and System.err, files through
     * io_uring when the kernel allows it, SIGINT/SIGUSR1/SIGTERM/SIGHUP as GNU dd
     * ({@link DdSignals}), and a failed write to stderr is an error (exit 1).
     */
    public DdCommand() {
        this(RingBackend.best(new PosixBackend()), System.out, System.err, System.getenv(), System::nanoTime);
        this.ownsProcess = true;
    }

    /** Standard input and output as Java streams (which behave like pipes); messages to {@code stderr}. */
    public DdCommand(InputStream stdin, OutputStream stdout, PrintStream stderr) {
        this(new PosixBackend(stdin, stdout), new PrintStream(stdout, true, StandardCharsets.UTF_8), stderr,
                System.getenv(), System::nanoTime);
    }

    /** Full control: the backend, where help/version and messages go, the environment (locale) and clock. */
    public DdCommand(DdBackend backend, PrintStream stdout, PrintStream stderr, Map<String, String> env,
            LongSupplier nanoClock) {
        this.backend = backend;
        this.stdout = stdout;
        this.stderr = stderr;
        this.env = env;
        this.clock = nanoClock;
    }

    @Override
    public Integer call() {
        return run(arguments);
    }

    /** Runs dd with these arguments; the exit status. */
    public int run(List<String> args) {
        boolean utf8 = DdText.utf8Quotes(env);
        List<String> operands = new ArrayList<>();
        boolean endOfOptions = false;
        for (String a : args) {
            if (endOfOptions || !a.startsWith("-") || a.equals("-")) {
                operands.add(a);
            } else if (a.equals("--")) {
                endOfOptions = true;
            } else if (a.startsWith("--")) {
                String name = a.substring(2);
                int eq = name.indexOf('=');
                String bare = eq >= 0 ? name.substring(0, eq) : name;
                boolean help = !bare.isEmpty() && "help".startsWith(bare);
                boolean version = !bare.isEmpty() && "version".startsWith(bare);
                if ((help || version) && eq >= 0) {
                    usageError("option '--" + (help ? "help" : "version") + "' doesn't allow an argument");
                    return 1;
                }
                if (help) {
                    printHelp();
                    return 0;
                }
                if (version) {
                    stdout.print("dioring dd 0.1.0 (GNU coreutils dd 9.1 compatible)\n");
                    stdout.flush();
                    return 0;
                }
                usageError("unrecognized option '" + a + "'");
                return 1;
            } else {
                usageError("invalid option -- '" + a.charAt(1) + "'");
                return 1;
            }
        }
        DdOptions options;
        try {
            options = DdOptions.parse(operands, stderr, utf8);
        } catch (DdOptions.UsageError e) {
            if (e.tryHelp) {
                usageError(e.getMessage());
            } else {
                stderr.print("dd: " + e.getMessage() + "\n");
                stderr.flush();
            }
            return 1;
        }
        int status;
        try {
            DdCopy copy = new DdCopy(options, backend, stderr, clock);
            if (ownsProcess) {
                copy.withSignals(DdSignals.install());
            }
            status = copy.run();
        } finally {
            backend.close();
        }
        // close_stdout: what could not be written to stderr makes the run a failure
        return stderr.checkError() ? 1 : status;
    }

    private void usageError(String message) {
        stderr.print("dd: " + message + "\n" + TRY_HELP + "\n");
        stderr.flush();
    }

    private void printHelp() {
        stdout.print("""
                Usage: dioring dd [OPERAND]...
                  or:  dioring dd OPTION
                Copy a file, converting and formatting according to the operands.

                  bs=BYTES        read and write up to BYTES bytes at a time (default: 512);
                                  overrides ibs and obs
                  conv=CONVS      convert the file as per the comma separated symbol list
                  count=N         copy only N input blocks
                  ibs=BYTES       read up to BYTES bytes at a time (default: 512)
                  if=FILE         read from FILE instead of stdin
                  iflag=FLAGS     read as per the comma separated symbol list
                  obs=BYTES       write BYTES bytes at a time (default: 512)
                  of=FILE         write to FILE instead of stdout
                  oflag=FLAGS     write as per the comma separated symbol list
                  qd=N            keep up to N blocks in flight (dioring; default: %d)
                  seek=N          (or oseek=N) skip N obs-sized output blocks
                  skip=N          (or iseek=N) skip N ibs-sized input blocks
                  status=LEVEL    The LEVEL of information to print to stderr;
                                  'none' suppresses everything but error messages,
                                  'noxfer' suppresses the final transfer statistics,
                                  'progress' shows periodic transfer statistics

                N and BYTES may be followed by the following multiplicative suffixes:
                c=1, w=2, b=512, kB=1000, K=1024, MB=1000*1000, M=1024*1024, xM=M,
                GB=1000*1000*1000, G=1024*1024*1024, and so on for T, P, E, Z, Y.
                Binary prefixes can be used, too: KiB=K, MiB=M, and so on.
                If N ends in 'B', it counts bytes not blocks.

                Each CONV symbol may be:

                  sync      pad every input block with NULs to ibs-size
                  excl      fail if the output file already exists
                  nocreat   do not create the output file
                  notrunc   do not truncate the output file
                  noerror   continue after read errors
                  fdatasync  physically write output file data before finishing
                  fsync     likewise, but also write metadata

                Each FLAG symbol may be:

                  append    append mode (makes sense only for output; conv=notrunc suggested)
                  direct    use direct I/O for data
                  directory  fail unless a directory
                  dsync     use synchronized I/O for data
                  sync      likewise, but also for metadata
                  fullblock  accumulate full blocks of input (iflag only)
                  nonblock  use non-blocking I/O
                  noatime   do not update access time
                  nocache   Request to drop cache.  See also oflag=sync
                  noctty    do not assign controlling terminal from file
                  nofollow  do not follow symlinks
                  count_bytes  treat 'count=N' as a byte count (iflag only)
                  skip_bytes  treat 'skip=N' as a byte count (iflag only)
                  seek_bytes  treat 'seek=N' as a byte count (oflag only)

                Options are:

                      --help        display this help and exit
                      --version     output version information and exit
                """.formatted(DdOptions.DEFAULT_QUEUE_DEPTH));
        stdout.flush();
    }
}
