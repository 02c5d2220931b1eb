package io.postcopy.cli;

/** The exit codes of every {@code postcopy} command. */
final class ExitCodes {
    /** Success; for a migration, it verified (PASS). */
    static final int OK = 0;
    /** The migration ran but did not verify (FAIL). */
    static final int FAIL = 1;
    /** Bad usage, or an error whose message says what to do. */
    static final int USAGE = 2;
    /** A bug: an exception nobody expected. */
    static final int INTERNAL = 3;

    private ExitCodes() {
    }
}
