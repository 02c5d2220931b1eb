package io.postcopy.cli.option;

import io.postcopy.engine.error.PostcopyException;

/** Turns engine exceptions into the plain sentences the command line prints. */
public final class Messages {
    private Messages() {
    }

    /**
     * The message of {@code e} without the {@code CODE: } prefix that {@link PostcopyException#getMessage()}
     * adds, for places where the code would only be noise (option parsing).
     */
    public static String withoutCode(PostcopyException e) {
        String message = e.getMessage();
        String prefix = e.code() + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }
}
