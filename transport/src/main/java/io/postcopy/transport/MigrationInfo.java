package io.postcopy.transport;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.engine.error.PostcopyException;
import io.postcopy.engine.migration.MigrationMode;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * What the source tells about the migration itself, sent just before SWITCHOVER as the state of a pseudo-device
 * named {@value #DEVICE_NAME}: the mode, how many precopy rounds ran, whether precopy converged within its
 * downtime budget, and how many pages it declared stale. Encoded as {@code key=value} lines.
 *
 * @param mode           the migration mode
 * @param precopyRounds  precopy rounds completed before switchover (0 for post-copy)
 * @param converged      precopy: the remaining dirty set fitted the downtime budget; true for other modes
 * @param pagesDiscarded pages sent during precopy and dirtied again (hybrid), discarded on the destination
 */
public record MigrationInfo(MigrationMode mode, int precopyRounds, boolean converged, long pagesDiscarded) {
    /** Reserved device name: names starting with {@code postcopy.} belong to the migration itself. */
    public static final String DEVICE_NAME = "postcopy.migration";

    byte[] toBytes() {
        return ("mode=" + mode.cliName() + "\nprecopyRounds=" + precopyRounds + "\nconverged=" + converged
            + "\npagesDiscarded=" + pagesDiscarded + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static MigrationInfo fromBytes(byte[] bytes) {
        Properties p = new Properties();
        try {
            p.load(new java.io.StringReader(new String(bytes, StandardCharsets.UTF_8)));
            return new MigrationInfo(MigrationMode.fromCliName(p.getProperty("mode", "")),
                Integer.parseInt(p.getProperty("precopyRounds", "")),
                Boolean.parseBoolean(p.getProperty("converged", "")),
                Long.parseLong(p.getProperty("pagesDiscarded", "")));
        } catch (java.io.IOException | NumberFormatException | PostcopyException e) {
            throw new PostcopyException(ErrorCode.MALFORMED_FRAME, "invalid " + DEVICE_NAME + " state: "
                + e.getMessage(), e);
        }
    }
}
