package io.dioring.tools.dd;

/** dd ends now with this status (after printing what it prints at that point): GNU dd's quit(). */
final class DdExit extends Exception {
    private static final long serialVersionUID = 1L;
    static final int SUCCESS = 0;
    static final int FAILURE = 1;

    final int status;

    DdExit(int status) {
        super(null, null, false, false);
        this.status = status;
    }
}
