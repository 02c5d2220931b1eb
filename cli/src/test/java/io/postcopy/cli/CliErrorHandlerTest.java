package io.postcopy.cli;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CliErrorHandlerTest {
    @Test
    void shouldPointToTimeoutOptionWhenDeadlinePassedButNotWhenPeerWentSilent() {
        assertEquals(" (raise --timeout if the machine is just slow)", CliErrorHandler.hint(
            new PostcopyException(ErrorCode.TIMEOUT, "timed out after 1000 ms waiting for every page"),
            "postcopy dest"));
        assertEquals("", CliErrorHandler.hint(new PostcopyException(ErrorCode.TIMEOUT, "the source at 10.0.0.1:7000 "
            + "(CONTROL connection) sent nothing for 10002 ms (keepalive deadline 10000 ms, 9 PINGs unanswered)"),
            "postcopy dest"));
    }
}
