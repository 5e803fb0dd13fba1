package io.dioring;

import java.nio.file.OpenOption;

/**
 * Whether a file is opened with O_DIRECT. Pass one to {@link IoEngine#open}; the default
 * is {@link #REQUIRED}.
 */
public enum DirectIoPolicy implements OpenOption {
    /** O_DIRECT or fail: open throws when the filesystem refuses it. */
    REQUIRED,
    /** O_DIRECT when the filesystem accepts it, buffered I/O otherwise ({@link DirectFile#isDirect()}). */
    OPTIONAL,
    /** Buffered I/O through the page cache; no alignment rules apply. */
    OFF
}
