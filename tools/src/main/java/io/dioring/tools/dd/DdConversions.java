package io.dioring.tools.dd;

import static io.dioring.tools.dd.DdOptions.C_ASCII;
import static io.dioring.tools.dd.DdOptions.C_BLOCK;
import static io.dioring.tools.dd.DdOptions.C_EBCDIC;
import static io.dioring.tools.dd.DdOptions.C_IBM;
import static io.dioring.tools.dd.DdOptions.C_LCASE;
import static io.dioring.tools.dd.DdOptions.C_SWAB;
import static io.dioring.tools.dd.DdOptions.C_UCASE;
import static io.dioring.tools.dd.DdOptions.C_UNBLOCK;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/**
 * The conversions that change dd's byte stream, in coreutils 9.1's order: the translation
 * table ({@code ascii}, {@code ebcdic}, {@code ibm}, {@code lcase}, {@code ucase}), then
 * {@code swab}, then {@code block} or {@code unblock} at {@code cbs=} bytes, into dd's
 * output buffer (a {@link Sink}). Each of them implies separate input and output buffers,
 * so they only run on dd's two-buffer path.
 *
 * <p>Every stage is a function of the whole input stream, not of how it was cut into reads:
 * swab pairs bytes across reads (GNU keeps the odd byte for the next read), and block and
 * unblock keep their column. So the input is processed in chunks of any size with the same
 * result, which is what lets a record be converted in fixed-size pieces here.
 */
final class DdConversions {
    /** Where converted bytes go: dd's copy into the output buffer, which writes each full obs block. */
    interface Sink<X extends Exception, Y extends Exception> {
        void put(MemorySegment bytes, long length) throws X, Y;
    }

    /**
     * ASCII to EBCDIC as POSIX gives it (the table GNU dd uses for conv=ebcdic), row by row
     * of 16. EBCDIC to ASCII (conv=ascii) is its inverse: the table is a permutation.
     */
    private static final String ASCII_TO_EBCDIC_HEX = ""
            + "00010203372d2e2f1605250b0c0d0e0f" + "101112133c3d322618193f271c1d1e1f"
            + "405a7f7b5b6c507d4d5d5c4e6b604b61" + "f0f1f2f3f4f5f6f7f8f97a5e4c7e6e6f"
            + "7cc1c2c3c4c5c6c7c8c9d1d2d3d4d5d6" + "d7d8d9e2e3e4e5e6e7e8e9ade0bd9a6d"
            + "79818283848586878889919293949596" + "979899a2a3a4a5a6a7a8a9c04fd05f07"
            + "202122232415061728292a2b2c090a1b" + "30311a333435360838393a3b04143ee1"
            + "41424344454647484951525354555657" + "58596263646566676869707172737475"
            + "767778808a8b8c8d8e8f906a9b9c9d9e" + "9fa0aaabac4aaeafb0b1b2b3b4b5b6b7"
            + "b8b9babbbca1bebfcacbcccdcecfdadb" + "dcdddedfeaebecedeeeffafbfcfdfeff";

    private static final byte[] ASCII_TO_EBCDIC = HexFormat.of().parseHex(ASCII_TO_EBCDIC_HEX);
    private static final byte[] EBCDIC_TO_ASCII = inverse(ASCII_TO_EBCDIC);
    /**
     * conv=ibm's "alternate EBCDIC": POSIX's table with five code points moved (this one is
     * not a permutation).
     */
    private static final byte[] ASCII_TO_IBM = withChanges(ASCII_TO_EBCDIC,
            '^', 0x5f, '~', 0xa1, 0xcb, 0x9a, 0xd5, 0xad, 0xe5, 0xbd);

    /** Input and output are converted this many bytes at a time. */
    private static final int CHUNK = 64 * 1024;

    private final byte[] table;
    private final boolean swab;
    private final boolean block;
    private final boolean unblock;
    private final long cbs;
    private final byte newline;
    private final byte space;

    /** The input chunk; one byte in front for swab's byte kept from the previous chunk. */
    private final byte[] in = new byte[CHUNK + 1];
    /** Block and unblock's output, passed on when full. */
    private final byte[] out;
    private int outLength;
    private final MemorySegment outSegment;
    private final MemorySegment inSegment = MemorySegment.ofArray(in);

    /** swab: the odd byte waiting for its partner, or -1. */
    private int savedByte = -1;
    /** block/unblock: the column in the current record. */
    private long col;
    /** unblock: spaces seen that are not (yet) known to be trailing. */
    private long pendingSpaces;
    /** block: input lines longer than cbs= (their excess was dropped). */
    private long truncatedRecords;

    private DdConversions(int conversions, long cbs) {
        byte[] t = null;
        byte nl = '\n';
        byte sp = ' ';
        if ((conversions & C_ASCII) != 0) {
            t = EBCDIC_TO_ASCII.clone();
        }
        if ((conversions & (C_UCASE | C_LCASE)) != 0) {
            t = t != null ? t : identity();
            boolean upper = (conversions & C_UCASE) != 0;
            for (int i = 0; i < 256; i++) {
                t[i] = upper ? toUpper(t[i]) : toLower(t[i]);
            }
        }
        byte[] charset = (conversions & C_EBCDIC) != 0 ? ASCII_TO_EBCDIC
                : (conversions & C_IBM) != 0 ? ASCII_TO_IBM : null;
        if (charset != null) {
            t = t != null ? t : identity();
            for (int i = 0; i < 256; i++) {
                t[i] = charset[t[i] & 0xff];
            }
            nl = charset['\n'];
            sp = charset[' '];
        }
        this.table = t;
        this.swab = (conversions & C_SWAB) != 0;
        this.block = (conversions & C_BLOCK) != 0;
        this.unblock = (conversions & C_UNBLOCK) != 0;
        this.cbs = cbs;
        this.newline = nl;
        this.space = sp;
        this.out = block || unblock ? new byte[CHUNK] : null;
        this.outSegment = out != null ? MemorySegment.ofArray(out) : null;
    }

    /** The conversions dd's options ask for, or null if none changes the byte stream. */
    static DdConversions of(DdOptions o) {
        int mask = C_ASCII | C_EBCDIC | C_IBM | C_LCASE | C_UCASE | C_SWAB | C_BLOCK | C_UNBLOCK;
        return (o.conversions & mask) == 0 ? null : new DdConversions(o.conversions, o.conversionBlocksize);
    }

    /** What conv=sync pads a short input block with: spaces with block/unblock, else NULs. */
    static byte padding(int conversions) {
        return (conversions & (C_BLOCK | C_UNBLOCK)) != 0 ? (byte) ' ' : 0;
    }

    /** The statistics line for conv=block's over-long lines, or "" when there were none. */
    static String truncatedRecordsLine(long truncated) {
        if (truncated == 0) {
            return "";
        }
        return truncated + (truncated == 1 ? " truncated record\n" : " truncated records\n");
    }

    long truncatedRecords() {
        return truncatedRecords;
    }

    /** Converts one input block of {@code length} bytes (already padded by conv=sync) into the sink. */
    <X extends Exception, Y extends Exception> void convert(MemorySegment buffer, long length, Sink<X, Y> sink)
            throws X, Y {
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(CHUNK, length - done);
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, done, in, 1, n);
            done += n;
            if (table != null) {
                translate(1, n);
            }
            int start = 1;
            if (swab) {
                if (savedByte >= 0) {
                    in[0] = (byte) savedByte;
                    start = 0;
                    n++;
                }
                savedByte = -1;
                if ((n & 1) != 0) {
                    savedByte = in[start + n - 1] & 0xff;
                    n--;
                }
                swapPairs(start, n);
            }
            records(start, n, sink);
        }
        flush(sink);
    }

    /** After the last input block: swab's odd byte, then the last record's padding or newline. */
    <X extends Exception, Y extends Exception> void finish(Sink<X, Y> sink) throws X, Y {
        if (savedByte >= 0) {
            in[0] = (byte) savedByte;
            savedByte = -1;
            records(0, 1, sink);
        }
        if (block && col > 0) {
            // the last line had no newline: pad it to cbs= like the others
            putSpaces(cbs - col, sink);
        }
        if (unblock && col != 0) {
            putByte(newline, sink);
        }
        flush(sink);
    }

    private void translate(int from, int n) {
        byte[] t = table;
        for (int i = from, end = from + n; i < end; i++) {
            in[i] = t[in[i] & 0xff];
        }
    }

    private void swapPairs(int from, int n) {
        for (int i = from, end = from + n; i < end; i += 2) {
            byte b = in[i];
            in[i] = in[i + 1];
            in[i + 1] = b;
        }
    }

    /** The record stage: block, unblock, or the bytes as they are. */
    private <X extends Exception, Y extends Exception> void records(int from, int n, Sink<X, Y> sink) throws X, Y {
        if (block) {
            block(from, n, sink);
        } else if (unblock) {
            unblock(from, n, sink);
        } else if (n > 0) {
            sink.put(inSegment.asSlice(from, n), n);
        }
    }

    /** conv=block: newline-terminated lines become cbs-byte records padded with spaces. */
    private <X extends Exception, Y extends Exception> void block(int from, int n, Sink<X, Y> sink) throws X, Y {
        for (int i = from, end = from + n; i < end; i++) {
            byte c = in[i];
            if (c == newline) {
                if (col < cbs) {
                    putSpaces(cbs - col, sink);
                }
                col = 0;
            } else {
                if (col == cbs) {
                    truncatedRecords++;
                } else if (col < cbs) {
                    putByte(c, sink);
                }
                col++;
            }
        }
    }

    /** conv=unblock: cbs-byte records lose their trailing spaces and end with a newline. */
    private <X extends Exception, Y extends Exception> void unblock(int from, int n, Sink<X, Y> sink) throws X, Y {
        for (int i = from, end = from + n; i < end; i++) {
            byte c = in[i];
            if (col++ >= cbs) {
                // the record is complete: its trailing spaces go, and c starts the next one
                col = 0;
                pendingSpaces = 0;
                i--;
                putByte(newline, sink);
            } else if (c == space) {
                pendingSpaces++;
            } else {
                putSpaces(pendingSpaces, sink);
                pendingSpaces = 0;
                putByte(c, sink);
            }
        }
    }

    private <X extends Exception, Y extends Exception> void putByte(byte c, Sink<X, Y> sink) throws X, Y {
        if (outLength == out.length) {
            flush(sink);
        }
        out[outLength++] = c;
    }

    private <X extends Exception, Y extends Exception> void putSpaces(long count, Sink<X, Y> sink) throws X, Y {
        while (count > 0) {
            if (outLength == out.length) {
                flush(sink);
            }
            int n = (int) Math.min(count, out.length - outLength);
            java.util.Arrays.fill(out, outLength, outLength + n, space);
            outLength += n;
            count -= n;
        }
    }

    private <X extends Exception, Y extends Exception> void flush(Sink<X, Y> sink) throws X, Y {
        if (outLength > 0) {
            int n = outLength;
            outLength = 0;
            sink.put(outSegment.asSlice(0, n), n);
        }
    }

    private static byte[] identity() {
        byte[] t = new byte[256];
        for (int i = 0; i < 256; i++) {
            t[i] = (byte) i;
        }
        return t;
    }

    private static byte[] inverse(byte[] permutation) {
        byte[] inv = new byte[256];
        for (int i = 0; i < 256; i++) {
            inv[permutation[i] & 0xff] = (byte) i;
        }
        return inv;
    }

    /** A copy of {@code base} with {@code changes} as (index, value) pairs applied. */
    private static byte[] withChanges(byte[] base, int... changes) {
        byte[] t = base.clone();
        for (int i = 0; i < changes.length; i += 2) {
            t[changes[i]] = (byte) changes[i + 1];
        }
        return t;
    }

    /** toupper in the C (and any UTF-8) locale: only ASCII letters have a case as single bytes. */
    private static byte toUpper(byte b) {
        return b >= 'a' && b <= 'z' ? (byte) (b - 'a' + 'A') : b;
    }

    private static byte toLower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b - 'A' + 'a') : b;
    }
}
