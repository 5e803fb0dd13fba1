package io.dioring.tools.dd;

import java.io.PrintStream;
import java.util.List;

/**
 * dd's operands, parsed as coreutils 9.1's {@code scanargs()} parses them: same number
 * syntax, same flag and conversion symbols, same derived values (records + bytes for
 * skip/seek/count), same diagnostics and the same order in which they are given.
 */
final class DdOptions {
    // iflag= / oflag= symbols. Open flags are mapped to O_* by the backend.
    static final int F_APPEND = 1;
    static final int F_DIRECT = 1 << 1;
    static final int F_DIRECTORY = 1 << 2;
    static final int F_DSYNC = 1 << 3;
    static final int F_NOATIME = 1 << 4;
    static final int F_NOCTTY = 1 << 5;
    static final int F_NOFOLLOW = 1 << 6;
    static final int F_NONBLOCK = 1 << 7;
    static final int F_SYNC = 1 << 8;
    static final int F_NOCACHE = 1 << 9;
    static final int F_FULLBLOCK = 1 << 10;
    static final int F_COUNT_BYTES = 1 << 11;
    static final int F_SKIP_BYTES = 1 << 12;
    static final int F_SEEK_BYTES = 1 << 13;
    /** The flags that are open(2) flags rather than dd's private ones. */
    static final int OPEN_FLAGS = F_APPEND | F_DIRECT | F_DIRECTORY | F_DSYNC | F_NOATIME | F_NOCTTY
            | F_NOFOLLOW | F_NONBLOCK | F_SYNC;

    // conv= symbols
    static final int C_ASCII = 1;
    static final int C_EBCDIC = 1 << 1;
    static final int C_IBM = 1 << 2;
    static final int C_BLOCK = 1 << 3;
    static final int C_UNBLOCK = 1 << 4;
    static final int C_LCASE = 1 << 5;
    static final int C_UCASE = 1 << 6;
    static final int C_SWAB = 1 << 7;
    static final int C_NOERROR = 1 << 8;
    static final int C_NOTRUNC = 1 << 9;
    static final int C_SYNC = 1 << 10;
    static final int C_TWOBUFS = 1 << 11;
    static final int C_NOCREAT = 1 << 12;
    static final int C_EXCL = 1 << 13;
    static final int C_FDATASYNC = 1 << 14;
    static final int C_FSYNC = 1 << 15;
    static final int C_SPARSE = 1 << 16;

    static final int STATUS_NONE = 1;
    static final int STATUS_NOXFER = 2;
    static final int STATUS_DEFAULT = 3;
    static final int STATUS_PROGRESS = 4;

    private record Symbol(String name, int value) {}

    private static final List<Symbol> CONVERSIONS = List.of(
            new Symbol("ascii", C_ASCII | C_UNBLOCK | C_TWOBUFS),
            new Symbol("ebcdic", C_EBCDIC | C_BLOCK | C_TWOBUFS),
            new Symbol("ibm", C_IBM | C_BLOCK | C_TWOBUFS),
            new Symbol("block", C_BLOCK | C_TWOBUFS),
            new Symbol("unblock", C_UNBLOCK | C_TWOBUFS),
            new Symbol("lcase", C_LCASE | C_TWOBUFS),
            new Symbol("ucase", C_UCASE | C_TWOBUFS),
            new Symbol("sparse", C_SPARSE),
            new Symbol("swab", C_SWAB | C_TWOBUFS),
            new Symbol("noerror", C_NOERROR),
            new Symbol("nocreat", C_NOCREAT),
            new Symbol("excl", C_EXCL),
            new Symbol("notrunc", C_NOTRUNC),
            new Symbol("sync", C_SYNC),
            new Symbol("fdatasync", C_FDATASYNC),
            new Symbol("fsync", C_FSYNC));

    /** Linux has no binary, text, cio or nolinks: GNU dd lists them with value 0, i.e. invalid. */
    private static final List<Symbol> FLAGS = List.of(
            new Symbol("append", F_APPEND),
            new Symbol("binary", 0),
            new Symbol("cio", 0),
            new Symbol("direct", F_DIRECT),
            new Symbol("directory", F_DIRECTORY),
            new Symbol("dsync", F_DSYNC),
            new Symbol("noatime", F_NOATIME),
            new Symbol("nocache", F_NOCACHE),
            new Symbol("noctty", F_NOCTTY),
            new Symbol("nofollow", F_NOFOLLOW),
            new Symbol("nolinks", 0),
            new Symbol("nonblock", F_NONBLOCK),
            new Symbol("sync", F_SYNC),
            new Symbol("text", 0),
            new Symbol("fullblock", F_FULLBLOCK),
            new Symbol("count_bytes", F_COUNT_BYTES),
            new Symbol("skip_bytes", F_SKIP_BYTES),
            new Symbol("seek_bytes", F_SEEK_BYTES));

    private static final List<Symbol> STATUSES = List.of(
            new Symbol("none", STATUS_NONE),
            new Symbol("noxfer", STATUS_NOXFER),
            new Symbol("progress", STATUS_PROGRESS));

    static final int DEFAULT_BLOCKSIZE = 512;
    /** Default queue depth (qd=): blocks in flight. The synchronous backend runs at depth 1. */
    static final int DEFAULT_QUEUE_DEPTH = 8;

    String inputFile;
    String outputFile;
    long inputBlocksize;
    long outputBlocksize;
    /** cbs=: the record size of conv=block and conv=unblock; 0 drops those conversions. */
    long conversionBlocksize;
    long skipRecords;
    long skipBytes;
    long seekRecords;
    long seekBytes;
    long maxRecords = Long.MAX_VALUE;
    long maxBytes;
    int conversions;
    int inputFlags;
    int outputFlags;
    int status = STATUS_DEFAULT;
    boolean fullblock;
    boolean warnPartialRead;
    boolean inputNocache;
    boolean outputNocache;
    int queueDepth = DEFAULT_QUEUE_DEPTH;

    /** A diagnostic that ends dd: the lines to print (without "dd: "), and whether to add the try-help line. */
    static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean tryHelp;

        UsageError(String message, boolean tryHelp) {
            super(message, null, false, false);
            this.tryHelp = tryHelp;
        }
    }

    // xstrtol's strtol_error
    private static final int LONGINT_OK = DdNumbers.LONGINT_OK;
    private static final int LONGINT_OVERFLOW = DdNumbers.LONGINT_OVERFLOW;
    private static final int LONGINT_INVALID = DdNumbers.LONGINT_INVALID;

    /** Parses the operands in order; warnings (e.g. a zero multiplier) go to {@code err} as GNU prints them. */
    static DdOptions parse(List<String> operands, PrintStream err, boolean utf8) throws UsageError {
        DdOptions o = new DdOptions();
        long blocksize = 0;
        long count = Long.MAX_VALUE;
        long skip = 0;
        long seek = 0;
        boolean countB = false;
        boolean skipB = false;
        boolean seekB = false;

        for (String name : operands) {
            int eq = name.indexOf('=');
            if (eq < 0) {
                throw new UsageError("unrecognized operand " + DdText.quote(name, utf8), true);
            }
            String val = name.substring(eq + 1);
            if (operandIs(name, "if")) {
                o.inputFile = val;
            } else if (operandIs(name, "of")) {
                o.outputFile = val;
            } else if (operandIs(name, "conv")) {
                o.conversions |= parseSymbols(val, CONVERSIONS, false, "invalid conversion", utf8);
            } else if (operandIs(name, "iflag")) {
                o.inputFlags |= parseSymbols(val, FLAGS, false, "invalid input flag", utf8);
            } else if (operandIs(name, "oflag")) {
                o.outputFlags |= parseSymbols(val, FLAGS, false, "invalid output flag", utf8);
            } else if (operandIs(name, "status")) {
                o.status = parseSymbols(val, STATUSES, true, "invalid status level", utf8);
            } else {
                int[] invalid = {LONGINT_OK};
                long n = DdNumbers.parseInteger(val, invalid, err, utf8);
                boolean hasB = val.indexOf('B') >= 0;
                long nMin = 0;
                long nMax = Long.MAX_VALUE;
                int which;
                // dd limits block sizes to IDX_MAX - 1; Java's segments are long-indexed too.
                long maxBlocksize = Long.MAX_VALUE - 1;
                if (operandIs(name, "ibs")) {
                    nMin = 1;
                    nMax = maxBlocksize;
                    which = 1;
                } else if (operandIs(name, "obs")) {
                    nMin = 1;
                    nMax = maxBlocksize;
                    which = 2;
                } else if (operandIs(name, "bs")) {
                    nMin = 1;
                    nMax = maxBlocksize;
                    which = 3;
                } else if (operandIs(name, "cbs")) {
                    nMin = 1;
                    nMax = Long.MAX_VALUE;
                    which = 4;
                } else if (operandIs(name, "skip") || operandIs(name, "iseek")) {
                    skip = n;
                    skipB = hasB;
                    which = 0;
                } else if (operandIs(name.startsWith("o") ? name.substring(1) : name, "seek")) {
                    seek = n;
                    seekB = hasB;
                    which = 0;
                } else if (operandIs(name, "count")) {
                    count = n;
                    countB = hasB;
                    which = 0;
                } else if (operandIs(name, "qd")) {
                    // dioring's addition: blocks in flight
                    nMin = 1;
                    nMax = 1 << 16;
                    which = 5;
                } else {
                    throw new UsageError("unrecognized operand " + DdText.quote(name, utf8), true);
                }
                if (invalid[0] == LONGINT_OK) {
                    if (n < nMin) {
                        invalid[0] = LONGINT_INVALID;
                    } else if (nMax < n) {
                        invalid[0] = LONGINT_OVERFLOW;
                    }
                }
                if (invalid[0] != LONGINT_OK) {
                    throw new UsageError("invalid number: " + DdText.quote(val, utf8)
                            + (invalid[0] == LONGINT_OVERFLOW ? ": Value too large for defined data type" : ""),
                            false);
                }
                switch (which) {
                    case 1 -> o.inputBlocksize = n;
                    case 2 -> o.outputBlocksize = n;
                    case 3 -> blocksize = n;
                    case 4 -> o.conversionBlocksize = n;
                    case 5 -> o.queueDepth = (int) n;
                    default -> { }
                }
            }
        }

        if (blocksize != 0) {
            o.inputBlocksize = blocksize;
            o.outputBlocksize = blocksize;
        } else {
            // POSIX: dd aggregates partial reads into obs-sized writes when bs= is not given.
            o.conversions |= C_TWOBUFS;
        }
        if (o.inputBlocksize == 0) {
            o.inputBlocksize = DEFAULT_BLOCKSIZE;
        }
        if (o.outputBlocksize == 0) {
            o.outputBlocksize = DEFAULT_BLOCKSIZE;
        }
        if (o.conversionBlocksize == 0) {
            o.conversions &= ~(C_BLOCK | C_UNBLOCK);
        }

        if ((o.outputFlags & F_FULLBLOCK) != 0) {
            throw new UsageError("invalid output flag: " + DdText.quote("fullblock", utf8), true);
        }

        if (skipB) {
            o.inputFlags |= F_SKIP_BYTES;
        }
        if ((o.inputFlags & F_SKIP_BYTES) != 0 && skip != 0) {
            o.skipRecords = skip / o.inputBlocksize;
            o.skipBytes = skip % o.inputBlocksize;
        } else if (skip != 0) {
            o.skipRecords = skip;
        }

        if (countB) {
            o.inputFlags |= F_COUNT_BYTES;
        }
        if ((o.inputFlags & F_COUNT_BYTES) != 0 && count != Long.MAX_VALUE) {
            o.maxRecords = count / o.inputBlocksize;
            o.maxBytes = count % o.inputBlocksize;
        } else if (count != Long.MAX_VALUE) {
            o.maxRecords = count;
        }

        if (seekB) {
            o.outputFlags |= F_SEEK_BYTES;
        }
        if ((o.outputFlags & F_SEEK_BYTES) != 0 && seek != 0) {
            o.seekRecords = seek / o.outputBlocksize;
            o.seekBytes = seek % o.outputBlocksize;
        } else if (seek != 0) {
            o.seekRecords = seek;
        }

        o.warnPartialRead = (o.conversions & C_TWOBUFS) == 0 && (o.inputFlags & F_FULLBLOCK) == 0
                && (o.skipRecords != 0 || (0 < o.maxRecords && o.maxRecords < Long.MAX_VALUE)
                        || ((o.inputFlags | o.outputFlags) & F_DIRECT) != 0);

        o.fullblock = (o.inputFlags & F_FULLBLOCK) != 0;
        o.inputFlags &= ~F_FULLBLOCK;

        if (Integer.bitCount(o.conversions & (C_ASCII | C_EBCDIC | C_IBM)) > 1) {
            throw new UsageError("cannot combine any two of {ascii,ebcdic,ibm}", false);
        }
        if (Integer.bitCount(o.conversions & (C_BLOCK | C_UNBLOCK)) > 1) {
            throw new UsageError("cannot combine block and unblock", false);
        }
        if (Integer.bitCount(o.conversions & (C_LCASE | C_UCASE)) > 1) {
            throw new UsageError("cannot combine lcase and ucase", false);
        }
        if (Integer.bitCount(o.conversions & (C_EXCL | C_NOCREAT)) > 1) {
            throw new UsageError("cannot combine excl and nocreat", false);
        }
        if (Integer.bitCount(o.inputFlags & (F_DIRECT | F_NOCACHE)) > 1
                || Integer.bitCount(o.outputFlags & (F_DIRECT | F_NOCACHE)) > 1) {
            throw new UsageError("cannot combine direct and nocache", false);
        }

        if ((o.inputFlags & F_NOCACHE) != 0) {
            o.inputNocache = true;
            o.inputFlags &= ~F_NOCACHE;
        }
        if ((o.outputFlags & F_NOCACHE) != 0) {
            o.outputNocache = true;
            o.outputFlags &= ~F_NOCACHE;
        }
        return o;
    }

    boolean conv(int mask) {
        return (conversions & mask) != 0;
    }

    private static boolean operandMatches(String str, String pattern, char delim) {
        if (!str.startsWith(pattern)) {
            return false;
        }
        return str.length() == pattern.length() || str.charAt(pattern.length()) == delim;
    }

    private static boolean operandIs(String operand, String name) {
        return operandMatches(operand, name, '=');
    }

    private static int parseSymbols(String str, List<Symbol> table, boolean exclusive, String errorMsg,
            boolean utf8) throws UsageError {
        int value = 0;
        while (true) {
            int comma = str.indexOf(',');
            Symbol found = null;
            for (Symbol entry : table) {
                if (operandMatches(str, entry.name(), ',') && entry.value() != 0) {
                    found = entry;
                    break;
                }
            }
            if (found == null) {
                String bad = comma >= 0 ? str.substring(0, comma) : str;
                throw new UsageError(errorMsg + ": " + DdText.quote(bad, utf8), true);
            }
            value = exclusive ? found.value() : value | found.value();
            if (comma < 0) {
                break;
            }
            str = str.substring(comma + 1);
        }
        return value;
    }
}
