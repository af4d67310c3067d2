package io.resnetservice.image;

/** The eight EXIF orientations: how to turn stored pixels into the picture the camera's user saw. */
final class Orientation {

    private Orientation() {}

    static Pixels apply(Pixels in, int orientation) {
        int w = in.width();
        int h = in.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        Pixels.Rgb8 rgb8 = in.rgb8();
        if (rgb8 != null) {
            // 8-bit samples stay 8-bit: the preprocessor's fast path resamples from them.
            byte[] src = rgb8.bytes();
            byte[] out = Pixels.borrowSamples(3 * w * h);
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int s = 3 * source(orientation, x, y, w, h);
                    int o = 3 * (y * ow + x);
                    out[o] = src[s];
                    out[o + 1] = src[s + 1];
                    out[o + 2] = src[s + 2];
                }
            }
            Pixels turned = Pixels.ofPooledRgb8(ow, oh, out, rgb8.offsets());
            in.release();
            return turned;
        }
        float[] data = in.data();
        float[] out = new float[data.length];
        for (int c = 0; c < in.channels(); c++) {
            int inPlane = c * w * h;
            int outPlane = c * ow * oh;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    out[outPlane + y * ow + x] = data[inPlane + source(orientation, x, y, w, h)];
                }
            }
        }
        return new Pixels(ow, oh, in.channels(), out);
    }

    /** The stored pixel (index {@code sy * w + sx}) shown at ({@code x}, {@code y}). */
    private static int source(int orientation, int x, int y, int w, int h) {
        return switch (orientation) {
            case 2 -> y * w + (w - 1 - x);
            case 3 -> (h - 1 - y) * w + (w - 1 - x);
            case 4 -> (h - 1 - y) * w + x;
            case 5 -> x * w + y;
            case 6 -> (h - 1 - x) * w + y;
            case 7 -> (h - 1 - x) * w + (w - 1 - y);
            case 8 -> x * w + (w - 1 - y);
            default -> y * w + x;
        };
    }
}
