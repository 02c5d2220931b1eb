package io.postcopy.protocol;

/**
 * What a source offers in the handshake: the versions it speaks, the features it supports and the geometry of
 * its frozen memory. Immutable.
 *
 * @param minVersion        lowest version it speaks, 1..65535
 * @param maxVersion        highest version it speaks, minVersion..65535
 * @param supportedFeatures the features it can grant; must be known bits ({@link Features#KNOWN})
 * @param pageSizeInBytes   its page size, a power of two in 4 KiB..2 MiB
 * @param pageCount         its page count, 1..2^40
 */
public record SourceCapabilities(int minVersion, int maxVersion, long supportedFeatures, int pageSizeInBytes,
                                 long pageCount) {
    /** Validates the ranges; see the record's parameters. */
    public SourceCapabilities {
        Checks.u16(minVersion, "minVersion");
        Checks.u16(maxVersion, "maxVersion");
        if (minVersion < 1 || maxVersion < minVersion) {
            throw ProtocolException.invalidArgument("versions " + minVersion + ".." + maxVersion
                + " (expected: 1 <= minVersion <= maxVersion)");
        }
        if (Features.unknownBits(supportedFeatures) != 0) {
            throw ProtocolException.invalidArgument("supportedFeatures=" + Features.toString(supportedFeatures)
                + " (expected: known bits only)");
        }
        Checks.pageSize(pageSizeInBytes);
        Checks.pageCount(pageCount);
    }

    /** This implementation's versions and every known feature, for the given geometry. */
    public static SourceCapabilities current(int pageSizeInBytes, long pageCount) {
        return new SourceCapabilities(Protocol.MIN_SUPPORTED_VERSION, Protocol.MAX_SUPPORTED_VERSION,
            Features.KNOWN, pageSizeInBytes, pageCount);
    }
}
