package io.dioring.tools.plot;

import java.io.IOException;

/** A file that is not HdrHistogram's percentile distribution; the message names file and line. */
public final class HgrmFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public HgrmFormatException(String message) {
        super(message);
    }
}
