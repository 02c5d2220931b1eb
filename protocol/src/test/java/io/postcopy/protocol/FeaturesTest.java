package io.postcopy.protocol;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeaturesTest {
    @Test
    void shouldKeepBitNumbersStableWhenFeaturesAreListed() {
        assertEquals(0, Feature.ZERO_PAGE_ENCODING.bitNumber());
        assertEquals(1, Feature.URGENT_CHANNEL.bitNumber());
        assertEquals(2, Feature.PAGE_DIGESTS.bitNumber());
        assertEquals(3, Feature.DISCARD.bitNumber());
        assertEquals(4, Feature.DEVICE_STATE.bitNumber());
        assertEquals(5, Feature.RECOVERY.bitNumber());
        assertEquals(6, Feature.PRECOPY.bitNumber());
        assertEquals(7, Feature.PAGE_RUNS.bitNumber());
        assertEquals(0xFFL, Features.KNOWN);
    }

    @Test
    void shouldReportOnlyUnknownBitsWhenMixed() {
        long bits = Features.of(Feature.DISCARD) | (1L << 8) | (1L << 63);
        assertEquals((1L << 8) | (1L << 63), Features.unknownBits(bits));
        assertTrue(Features.contains(bits, Feature.DISCARD));
        assertFalse(Features.contains(bits, Feature.PRECOPY));
        assertEquals("[DISCARD, unknown=0x8000000000000100]", Features.toString(bits));
    }

    @Test
    void shouldUseDistinctWireValuesWhenEnumeratingMessageTypes() {
        Set<Integer> seen = new HashSet<>();
        for (MessageType type : MessageType.values()) {
            assertTrue(seen.add(type.wireValue()), type + " reuses a wire value");
            assertEquals(type, MessageType.fromWireValue(type.wireValue()));
        }
    }

    @Test
    void shouldMapUnknownWireValueToInternalWhenDecodingErrorCode() {
        assertEquals(ProtocolErrorCode.PAGE_OUT_OF_RANGE, ProtocolErrorCode.fromWireValue(4));
        assertEquals(ProtocolErrorCode.INTERNAL, ProtocolErrorCode.fromWireValue(0));
        assertEquals(ProtocolErrorCode.INTERNAL, ProtocolErrorCode.fromWireValue(999));
        assertEquals(ProtocolErrorCode.INTERNAL, new ErrorMessage(999, "newer").code());
    }

    @Test
    void shouldCutErrorTextAtCharacterBoundaryWhenTooLong() {
        String euros = "€".repeat(500);
        ErrorMessage message = ErrorMessage.of(ProtocolErrorCode.INTERNAL, euros);
        int lengthInBytes = message.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        assertTrue(lengthInBytes <= ErrorMessage.MAX_TEXT_LENGTH_IN_BYTES);
        assertEquals(341, message.text().length());
    }

    @Test
    void shouldMatchCrc32cTestVectorsWhenDigestingBytes() {
        assertEquals(1L, PageDigest.of(new byte[0]));
        assertEquals(0xc1d04331L, PageDigest.of("a".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertEquals(0xe3069284L,
            PageDigest.of("123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertEquals(PageDigest.of(new byte[4096]), PageDigest.ofZeroPage(4096));
    }
}
