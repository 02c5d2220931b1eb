package io.postcopy.transport.codec;

import io.postcopy.engine.error.ErrorCode;
import io.postcopy.protocol.ProtocolErrorCode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The protocol's wire codes and the engine's codes are one numbering: same names, same numbers, same count. */
class ErrorCodeAgreementTest {
    @Test
    void shouldHaveSameNamesAndNumbersWhenComparingEngineAndProtocolCodes() {
        assertEquals(ErrorCode.values().length, ProtocolErrorCode.values().length);
        for (ErrorCode engineCode : ErrorCode.values()) {
            ProtocolErrorCode wireCode = ProtocolErrorCode.valueOf(engineCode.name());
            assertEquals(engineCode.wireValue(), wireCode.wireValue(), engineCode.name());
            assertEquals(wireCode, ProtocolErrorCode.fromWireValue(engineCode.wireValue()));
            assertEquals(engineCode, ErrorCode.fromWireValue(wireCode.wireValue()));
        }
    }
}
