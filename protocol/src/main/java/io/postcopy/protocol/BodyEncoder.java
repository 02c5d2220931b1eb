package io.postcopy.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/** Writes each message type's body (PROTOCOL.md, one table per type) and computes its length beforehand. */
final class BodyEncoder {
    private BodyEncoder() {
    }

    /** Length of the body of {@code message} on the wire, in bytes (for PAGE_DATA including the content). */
    static long bodyLengthInBytes(Message message) {
        return switch (message) {
            case HandshakeRequest m -> HandshakeRequest.BODY_LENGTH_IN_BYTES;
            case HandshakeAnswer m -> HandshakeAnswer.BODY_LENGTH_IN_BYTES;
            case Ping m -> 8;
            case Pong m -> 8;
            case ErrorMessage m -> 4L + utf8(m.text()).length;
            case PageRequest m -> PageRequest.FIXED_BODY_LENGTH_IN_BYTES + 8L * m.size();
            case PageData m -> PageData.FIXED_BODY_LENGTH_IN_BYTES + (long) m.contentLengthInBytes();
            case PageRun m -> PageRun.FIXED_BODY_LENGTH_IN_BYTES + (long) m.contentLengthInBytes();
            case DiscardRanges m -> DiscardRanges.FIXED_BODY_LENGTH_IN_BYTES
                + (long) DiscardRanges.RANGE_LENGTH_IN_BYTES * m.ranges().size();
            case PageDigests m -> PageDigests.FIXED_BODY_LENGTH_IN_BYTES + 8L * m.size();
            case ReceivedBitmap m -> ReceivedBitmap.FIXED_BODY_LENGTH_IN_BYTES + 8L * m.size();
            case Switchover m -> Switchover.BODY_LENGTH_IN_BYTES;
            case VcpuState m -> VcpuState.FIXED_BODY_LENGTH_IN_BYTES + (long) m.stateLengthInBytes();
            case DeviceStateChunk m -> 1L + utf8(m.deviceName()).length + 4 + 1 + 4 + m.dataLengthInBytes();
            case Complete m -> 0;
        };
    }

    /**
     * Writes the body of {@code message}. For PAGE_DATA and PAGE_RUN only the fixed part is written when
     * {@code withContent} is false (the caller appends the content as a slice).
     */
    static void write(Message message, ByteBuf out, boolean withContent) {
        switch (message) {
            case HandshakeRequest m -> {
                out.writeInt(Protocol.MAGIC);
                out.writeShort(m.minVersion());
                out.writeShort(m.maxVersion());
                out.writeLong(m.sessionId());
                out.writeLong(m.requestedFeatures());
                out.writeLong(m.pageCount());
                out.writeInt(m.pageSizeInBytes());
                out.writeByte(m.role().wireValue());
            }
            case HandshakeAnswer m -> {
                out.writeInt(Protocol.MAGIC);
                out.writeShort(m.status());
                out.writeShort(m.acceptedVersion());
                out.writeLong(m.sessionId());
                out.writeLong(m.grantedFeatures());
                out.writeLong(m.pageCount());
                out.writeInt(m.pageSizeInBytes());
            }
            case Ping m -> out.writeLong(m.nonce());
            case Pong m -> out.writeLong(m.nonce());
            case ErrorMessage m -> {
                byte[] text = utf8(m.text());
                out.writeShort(m.codeWireValue());
                out.writeShort(text.length);
                out.writeBytes(text);
            }
            case PageRequest m -> {
                out.writeByte(m.kind().wireValue());
                out.writeInt(m.size());
                for (int i = 0; i < m.size(); i++) {
                    out.writeLong(m.pageIndexAt(i));
                }
            }
            case PageData m -> {
                out.writeLong(m.pageIndex());
                out.writeByte(m.encoding().wireValue());
                out.writeByte(m.origin().wireValue());
                if (withContent) {
                    out.writeBytes(m.content(), m.content().readerIndex(), m.contentLengthInBytes());
                }
            }
            case PageRun m -> {
                out.writeLong(m.firstPageIndex());
                out.writeInt(m.pageCount());
                out.writeByte(m.encoding().wireValue());
                out.writeByte(m.origin().wireValue());
                if (withContent) {
                    out.writeBytes(m.content(), m.content().readerIndex(), m.contentLengthInBytes());
                }
            }
            case DiscardRanges m -> {
                out.writeInt(m.ranges().size());
                for (PageRange range : m.ranges()) {
                    out.writeLong(range.firstPageIndex());
                    out.writeLong(range.pageCount());
                }
            }
            case PageDigests m -> writeRun(out, m.firstPageIndex(), m.size(), m::digestAt);
            case ReceivedBitmap m -> writeRun(out, m.firstPageIndex(), m.size(), m::wordAt);
            case Switchover m -> {
                out.writeLong(m.sourceStopEpochNs());
                out.writeInt(m.vcpuCount());
                out.writeInt(m.deviceCount());
            }
            case VcpuState m -> {
                out.writeInt(m.vcpuId());
                out.writeInt(m.stateLengthInBytes());
                out.writeBytes(m.state());
            }
            case DeviceStateChunk m -> {
                byte[] name = utf8(m.deviceName());
                out.writeByte(name.length);
                out.writeBytes(name);
                out.writeInt(m.sequence());
                out.writeByte(m.last() ? DeviceStateChunk.FLAG_LAST : 0);
                out.writeInt(m.dataLengthInBytes());
                out.writeBytes(m.data());
            }
            case Complete m -> {
                // An empty body: the type says it all.
            }
        }
    }

    private interface LongAt {
        long at(int position);
    }

    private static void writeRun(ByteBuf out, long firstPageIndex, int count, LongAt values) {
        out.writeLong(firstPageIndex);
        out.writeInt(count);
        for (int i = 0; i < count; i++) {
            out.writeLong(values.at(i));
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
