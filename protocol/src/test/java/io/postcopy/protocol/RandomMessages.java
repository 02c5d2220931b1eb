package io.postcopy.protocol;

import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Random valid messages for round-trip tests, within the bounds of {@link Frames#SESSION}. */
final class RandomMessages {
    private static final String NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_.é€";

    private RandomMessages() {
    }

    static Message next(SplittableRandom random, MessageType type) {
        return switch (type) {
            case HANDSHAKE_REQUEST -> handshakeRequest(random);
            case HANDSHAKE_ANSWER -> handshakeAnswer(random);
            case PING -> new Ping(random.nextLong());
            case PONG -> new Pong(random.nextLong());
            case ERROR -> new ErrorMessage(random.nextInt(1, 0x10000), text(random, random.nextInt(0, 200)));
            case PAGE_REQUEST -> new PageRequest(RequestKind.values()[random.nextInt(2)],
                pageIndexes(random, random.nextInt(1, 50)));
            case PAGE_DATA -> pageData(random);
            case PAGE_RUN -> pageRun(random);
            case DISCARD_RANGES -> discardRanges(random);
            case PAGE_DIGESTS -> pageDigests(random);
            case RECEIVED_BITMAP -> receivedBitmap(random);
            case SWITCHOVER -> new Switchover(random.nextLong(), random.nextInt(0, Integer.MAX_VALUE),
                random.nextInt(0, Integer.MAX_VALUE));
            case VCPU_STATE -> new VcpuState(random.nextInt(0, Integer.MAX_VALUE), bytes(random, 300));
            case DEVICE_STATE_CHUNK -> new DeviceStateChunk(text(random, random.nextInt(1, 40)),
                random.nextInt(0, Integer.MAX_VALUE), random.nextBoolean(), bytes(random, 300));
            case COMPLETE -> new Complete();
        };
    }

    private static HandshakeRequest handshakeRequest(SplittableRandom random) {
        int minVersion = random.nextInt(1, 0x10000);
        int maxVersion = random.nextInt(minVersion, 0x10000);
        boolean adopt = random.nextBoolean();
        return new HandshakeRequest(minVersion, maxVersion, randomRole(random),
            random.nextLong(), adopt ? 0 : pageSize(random), adopt ? 0 : random.nextLong(1, Protocol.MAX_PAGE_COUNT),
            random.nextLong() | 1);
    }

    private static HandshakeAnswer handshakeAnswer(SplittableRandom random) {
        boolean accepted = random.nextBoolean();
        return new HandshakeAnswer(accepted ? 0 : random.nextInt(1, 0x10000), random.nextInt(1, 0x10000),
            random.nextLong(), accepted ? random.nextLong() : 0, pageSize(random),
            random.nextLong(1, Protocol.MAX_PAGE_COUNT + 1));
    }

    private static PageData pageData(SplittableRandom random) {
        PageDataOrigin origin = PageDataOrigin.values()[random.nextInt(3)];
        long pageIndex = random.nextLong(0, Frames.PAGE_COUNT);
        if (random.nextBoolean()) {
            return PageData.zero(pageIndex, origin);
        }
        byte[] content = new byte[Frames.PAGE_SIZE];
        random.nextBytes(content);
        return PageData.raw(pageIndex, origin, Unpooled.wrappedBuffer(content));
    }

    private static PageRun pageRun(SplittableRandom random) {
        PageDataOrigin origin = random.nextBoolean() ? PageDataOrigin.BACKGROUND : PageDataOrigin.PRECOPY;
        long first = random.nextLong(0, Frames.PAGE_COUNT);
        if (random.nextBoolean()) {
            return PageRun.zero(first, (int) random.nextLong(1, Frames.PAGE_COUNT - first + 1), origin);
        }
        int count = (int) Math.min(random.nextInt(1, 9), Frames.PAGE_COUNT - first);
        byte[] content = new byte[count * Frames.PAGE_SIZE];
        random.nextBytes(content);
        return PageRun.raw(first, count, origin, Unpooled.wrappedBuffer(content));
    }

    private static DiscardRanges discardRanges(SplittableRandom random) {
        int count = random.nextInt(1, 20);
        List<PageRange> ranges = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long first = random.nextLong(0, Frames.PAGE_COUNT);
            ranges.add(new PageRange(first, random.nextLong(1, Frames.PAGE_COUNT - first + 1)));
        }
        return new DiscardRanges(ranges);
    }

    private static PageDigests pageDigests(SplittableRandom random) {
        int count = random.nextInt(1, 100);
        long[] digests = new long[count];
        for (int i = 0; i < count; i++) {
            digests[i] = random.nextLong();
        }
        return new PageDigests(random.nextLong(0, Frames.PAGE_COUNT - count + 1), digests);
    }

    private static ConnectionRole randomRole(SplittableRandom random) {
        return ConnectionRole.values()[random.nextInt(ConnectionRole.values().length)];
    }

    private static ReceivedBitmap receivedBitmap(SplittableRandom random) {
        long firstWord = random.nextLong(0, Frames.PAGE_COUNT / 64 + 1);
        long maxWords = (Frames.PAGE_COUNT - firstWord * 64 + 63) / 64;
        int wordCount = random.nextInt(1, (int) maxWords + 1);
        long[] words = new long[wordCount];
        for (int i = 0; i < wordCount; i++) {
            words[i] = random.nextLong();
        }
        long bitsInLastWord = Frames.PAGE_COUNT - firstWord * 64 - (wordCount - 1) * 64L;
        if (bitsInLastWord < 64) {
            words[wordCount - 1] &= (1L << bitsInLastWord) - 1;
        }
        return new ReceivedBitmap(firstWord * 64, words);
    }

    private static long[] pageIndexes(SplittableRandom random, int count) {
        long[] pageIndexes = new long[count];
        for (int i = 0; i < count; i++) {
            pageIndexes[i] = random.nextLong(0, Frames.PAGE_COUNT);
        }
        return pageIndexes;
    }

    private static int pageSize(SplittableRandom random) {
        return Protocol.MIN_PAGE_SIZE_IN_BYTES << random.nextInt(0, 10);
    }

    private static byte[] bytes(SplittableRandom random, int maxLength) {
        byte[] bytes = new byte[random.nextInt(0, maxLength)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String text(SplittableRandom random, int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(NAME_CHARS.charAt(random.nextInt(NAME_CHARS.length())));
        }
        return text.toString();
    }
}
