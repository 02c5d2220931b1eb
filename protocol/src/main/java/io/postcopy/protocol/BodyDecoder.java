package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads each message type's body (PROTOCOL.md, one table per type). Every count is checked against the bytes left
 * before an array is allocated, every enum value and flag against the known values, every page index against the
 * session's page count. Only {@link #pageData} and {@link #pageRun} retain anything, and only as their very last
 * step.
 */
final class BodyDecoder {
    private BodyDecoder() {
    }

    static Message decode(MessageType type, BodyReader in, ByteBuf frame, DecodeContext context) {
        Message message = switch (type) {
            case HANDSHAKE_REQUEST -> handshakeRequest(in);
            case HANDSHAKE_ANSWER -> handshakeAnswer(in);
            case PING -> new Ping(in.u64());
            case PONG -> new Pong(in.u64());
            case ERROR -> error(in);
            case PAGE_REQUEST -> pageRequest(in, context);
            case PAGE_DATA -> pageData(in, frame, context);
            case PAGE_RUN -> pageRun(in, frame, context);
            case DISCARD_RANGES -> discardRanges(in, context);
            case PAGE_DIGESTS -> pageDigests(in, context);
            case RECEIVED_BITMAP -> receivedBitmap(in, context);
            case SWITCHOVER -> new Switchover(in.u64(), in.u31("vcpuCount"), in.u31("deviceCount"));
            case VCPU_STATE -> vcpuState(in);
            case DEVICE_STATE_CHUNK -> deviceStateChunk(in);
            case COMPLETE -> new Complete();
        };
        return message;
    }

    private static void magic(BodyReader in) {
        long magic = in.u32();
        if (magic != (Protocol.MAGIC & 0xFFFF_FFFFL)) {
            throw in.malformed("magic=0x" + Long.toHexString(magic) + " (expected: 0x"
                + Integer.toHexString(Protocol.MAGIC) + ")");
        }
    }

    private static HandshakeRequest handshakeRequest(BodyReader in) {
        magic(in);
        int minVersion = in.u16();
        int maxVersion = in.u16();
        long sessionId = in.u64();
        long requestedFeatures = in.u64();
        long pageCount = in.u64();
        long pageSize = in.u32();
        int roleValue = in.u8();
        ConnectionRole role = ConnectionRole.fromWireValue(roleValue);
        if (role == null) {
            throw in.malformed("role=" + roleValue + " (expected: 1..4)");
        }
        if (pageSize > Protocol.MAX_PAGE_SIZE_IN_BYTES) {
            throw in.malformed("pageSizeInBytes=" + pageSize + " (expected: <= " + Protocol.MAX_PAGE_SIZE_IN_BYTES
                + ")");
        }
        return new HandshakeRequest(minVersion, maxVersion, role, requestedFeatures, (int) pageSize, pageCount,
            sessionId);
    }

    private static HandshakeAnswer handshakeAnswer(BodyReader in) {
        magic(in);
        int status = in.u16();
        int acceptedVersion = in.u16();
        long sessionId = in.u64();
        long grantedFeatures = in.u64();
        long pageCount = in.u64();
        long pageSize = in.u32();
        if (pageSize > Protocol.MAX_PAGE_SIZE_IN_BYTES) {
            throw in.malformed("pageSizeInBytes=" + pageSize + " (expected: <= " + Protocol.MAX_PAGE_SIZE_IN_BYTES
                + ")");
        }
        return new HandshakeAnswer(status, acceptedVersion, sessionId, grantedFeatures, (int) pageSize, pageCount);
    }

    private static ErrorMessage error(BodyReader in) {
        int code = in.u16();
        int textLength = in.u16();
        if (textLength > ErrorMessage.MAX_TEXT_LENGTH_IN_BYTES) {
            throw in.malformed("textLength=" + textLength + " (expected: <= "
                + ErrorMessage.MAX_TEXT_LENGTH_IN_BYTES + ")");
        }
        return new ErrorMessage(code, in.utf8(textLength, "text"));
    }

    private static PageRequest pageRequest(BodyReader in, DecodeContext context) {
        int kindValue = in.u8();
        RequestKind kind = RequestKind.fromWireValue(kindValue);
        if (kind == null) {
            throw in.malformed("kind=" + kindValue + " (expected: 1..2)");
        }
        int count = in.count(1, PageRequest.MAX_PAGE_INDEXES, 8, "count");
        long[] pageIndexes = in.u64Array(count);
        for (long pageIndex : pageIndexes) {
            checkPageIndex(pageIndex, context, MessageType.PAGE_REQUEST);
        }
        return new PageRequest(kind, pageIndexes);
    }

    private static PageData pageData(BodyReader in, ByteBuf frame, DecodeContext context) {
        long pageIndex = in.u64();
        checkPageIndex(pageIndex, context, MessageType.PAGE_DATA);
        int encodingValue = in.u8();
        PageEncoding encoding = PageEncoding.fromWireValue(encodingValue);
        if (encoding == null) {
            throw in.malformed("encoding=" + encodingValue + " (expected: 1..2)");
        }
        int originValue = in.u8();
        PageDataOrigin origin = PageDataOrigin.fromWireValue(originValue);
        if (origin == null) {
            throw in.malformed("origin=" + originValue + " (expected: 1..3)");
        }
        requireFeature(MessageType.PAGE_DATA, encoding == PageEncoding.ZERO, Feature.ZERO_PAGE_ENCODING, context);
        requireFeature(MessageType.PAGE_DATA, origin == PageDataOrigin.PRECOPY, Feature.PRECOPY, context);
        if (encoding == PageEncoding.ZERO) {
            in.expectEnd();
            return PageData.zero(pageIndex, origin);
        }
        if (in.remaining() != context.pageSizeInBytes()) {
            throw in.malformed("RAW content of " + in.remaining() + " bytes (expected: pageSizeInBytes="
                + context.pageSizeInBytes() + ")");
        }
        int contentIndex = in.skip(context.pageSizeInBytes());
        in.expectEnd();
        return PageData.raw(pageIndex, origin, frame.retainedSlice(contentIndex, context.pageSizeInBytes()));
    }

    private static PageRun pageRun(BodyReader in, ByteBuf frame, DecodeContext context) {
        long first = in.pageIndex("firstPageIndex");
        long count = in.u32();
        if (count < 1 || count > Integer.MAX_VALUE) {
            throw in.malformed("pageCount=" + count + " (expected: 1.." + Integer.MAX_VALUE + ")");
        }
        checkRun(first, count, context, MessageType.PAGE_RUN);
        int encodingValue = in.u8();
        PageEncoding encoding = PageEncoding.fromWireValue(encodingValue);
        if (encoding == null) {
            throw in.malformed("encoding=" + encodingValue + " (expected: 1..2)");
        }
        int originValue = in.u8();
        PageDataOrigin origin = PageDataOrigin.fromWireValue(originValue);
        if (origin == null || origin == PageDataOrigin.DEMAND) {
            throw in.malformed("origin=" + originValue + " (expected: 2..3; a run is never a demand answer)");
        }
        requireFeature(MessageType.PAGE_RUN, encoding == PageEncoding.ZERO, Feature.ZERO_PAGE_ENCODING, context);
        requireFeature(MessageType.PAGE_RUN, origin == PageDataOrigin.PRECOPY, Feature.PRECOPY, context);
        if (encoding == PageEncoding.ZERO) {
            in.expectEnd();
            return PageRun.zero(first, (int) count, origin);
        }
        int pageSize = context.pageSizeInBytes();
        int maxPages = PageRun.maxRawPageCount(pageSize);
        if (count > maxPages) {
            throw in.malformed("pageCount=" + count + " (expected: 1.." + maxPages + " RAW pages of " + pageSize
                + " bytes, what fits one frame)");
        }
        int contentLength = (int) count * pageSize;
        if (in.remaining() != contentLength) {
            throw in.malformed("RAW content of " + in.remaining() + " bytes (expected: pageCount * pageSizeInBytes="
                + contentLength + ")");
        }
        int contentIndex = in.skip(contentLength);
        in.expectEnd();
        return PageRun.raw(first, (int) count, origin, frame.retainedSlice(contentIndex, contentLength));
    }

    private static DiscardRanges discardRanges(BodyReader in, DecodeContext context) {
        int count = in.count(1, DiscardRanges.MAX_RANGES, DiscardRanges.RANGE_LENGTH_IN_BYTES, "count");
        List<PageRange> ranges = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long first = in.pageIndex("firstPageIndex");
            long length = in.u64();
            if (length < 1 || length > context.pageCount() - first) {
                throw new ProtocolException(ProtocolErrorCode.PAGE_OUT_OF_RANGE, "DISCARD_RANGES: range ["
                    + first + ", +" + Long.toUnsignedString(length) + ") (expected: 1 or more pages within [0, "
                    + context.pageCount() + "))");
            }
            ranges.add(new PageRange(first, length));
        }
        return new DiscardRanges(ranges);
    }

    private static PageDigests pageDigests(BodyReader in, DecodeContext context) {
        long first = in.pageIndex("firstPageIndex");
        int count = in.count(1, PageDigests.MAX_DIGESTS, 8, "count");
        checkRun(first, count, context, MessageType.PAGE_DIGESTS);
        return new PageDigests(first, in.u64Array(count));
    }

    private static ReceivedBitmap receivedBitmap(BodyReader in, DecodeContext context) {
        long first = in.pageIndex("firstPageIndex");
        if (first % Long.SIZE != 0) {
            throw in.malformed("firstPageIndex=" + first + " (expected: a multiple of 64)");
        }
        int wordCount = in.count(1, ReceivedBitmap.MAX_WORDS, 8, "wordCount");
        checkPageIndex(first, context, MessageType.RECEIVED_BITMAP);
        long pagesCovered = context.pageCount() - first;
        if ((long) (wordCount - 1) * Long.SIZE >= pagesCovered) {
            throw new ProtocolException(ProtocolErrorCode.PAGE_OUT_OF_RANGE, "RECEIVED_BITMAP: " + wordCount
                + " words from page " + first + " reach past pageCount=" + context.pageCount());
        }
        long[] words = in.u64Array(wordCount);
        long bitsInLastWord = pagesCovered - (long) (wordCount - 1) * Long.SIZE;
        if (bitsInLastWord < Long.SIZE && (words[wordCount - 1] >>> bitsInLastWord) != 0) {
            throw new ProtocolException(ProtocolErrorCode.PAGE_OUT_OF_RANGE,
                "RECEIVED_BITMAP: bits set for pages at or past pageCount=" + context.pageCount());
        }
        return new ReceivedBitmap(first, words);
    }

    private static VcpuState vcpuState(BodyReader in) {
        int vcpuId = in.u31("vcpuId");
        int length = in.count(0, VcpuState.MAX_STATE_LENGTH_IN_BYTES, 1, "stateLengthInBytes");
        return new VcpuState(vcpuId, in.bytes(length));
    }

    private static DeviceStateChunk deviceStateChunk(BodyReader in) {
        int nameLength = in.u8();
        if (nameLength < 1) {
            throw in.malformed("nameLengthInBytes=0 (expected: 1..255)");
        }
        String name = in.utf8(nameLength, "deviceName");
        int sequence = in.u31("sequence");
        int flags = in.u8();
        if ((flags & ~DeviceStateChunk.FLAG_LAST) != 0) {
            throw in.malformed("flags=0x" + Integer.toHexString(flags) + " (expected: only bit 0)");
        }
        int length = in.count(0, DeviceStateChunk.maxDataLengthInBytes(nameLength), 1, "dataLengthInBytes");
        return new DeviceStateChunk(name, sequence, (flags & DeviceStateChunk.FLAG_LAST) != 0, in.bytes(length));
    }

    private static void requireFeature(MessageType type, boolean used, Feature feature, DecodeContext context) {
        if (used && !context.isGranted(feature)) {
            throw new ProtocolException(ProtocolErrorCode.UNEXPECTED_MESSAGE,
                type + " uses " + feature + ", which was not granted");
        }
    }

    private static void checkPageIndex(long pageIndex, DecodeContext context, MessageType type) {
        if (pageIndex < 0 || pageIndex >= context.pageCount()) {
            throw new ProtocolException(ProtocolErrorCode.PAGE_OUT_OF_RANGE, type + ": pageIndex="
                + Long.toUnsignedString(pageIndex) + " (expected: 0.." + (context.pageCount() - 1) + ")");
        }
    }

    private static void checkRun(long first, long count, DecodeContext context, MessageType type) {
        if (first >= context.pageCount() || count > context.pageCount() - first) {
            throw new ProtocolException(ProtocolErrorCode.PAGE_OUT_OF_RANGE, type + ": pages [" + first + ", +"
                + count + ") (expected: within [0, " + context.pageCount() + "))");
        }
    }
}
