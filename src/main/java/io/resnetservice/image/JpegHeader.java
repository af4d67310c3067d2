package io.resnetservice.image;

/**
 * The frame header (SOFn) of a JPEG: its size, components and whether it is progressive, read from the
 * markers without decoding anything; {@code scan} says whether a scan (SOS) follows, i.e. whether the
 * file holds all its headers.
 */
record JpegHeader(int width, int height, int components, boolean progressive, boolean scan) {

    /** The header of {@code b}, or null when no frame header comes before the first scan. */
    static JpegHeader read(byte[] b) {
        return read(b, b.length);
    }

    /** As {@link #read(byte[])} for a JPEG that is the first {@code end} bytes of {@code b}. */
    static JpegHeader read(byte[] b, int end) {
        JpegHeader frame = null;
        int i = 2;
        while (i + 3 < end) {
            if ((b[i] & 0xff) != 0xFF) {
                return frame;
            }
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) {
                i++; // fill byte
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
                i += 2; // markers without a length
                continue;
            }
            int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            if (length < 2) {
                return frame;
            }
            boolean isFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (isFrame && frame == null) {
                if (i + 9 >= end) {
                    return null;
                }
                int height = ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff);
                int width = ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff);
                int components = b[i + 9] & 0xff;
                boolean progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
                frame = new JpegHeader(width, height, components, progressive, false);
            }
            if (marker == 0xDA) {
                // A scan's header must be whole for the scan to begin.
                return frame == null || i + 2 + length > end ? frame
                        : new JpegHeader(frame.width, frame.height, frame.components, frame.progressive, true);
            }
            if (marker == 0xD9) {
                return frame;
            }
            i += 2 + length;
        }
        return frame;
    }
}
