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
        float[] out = new float[in.data().length];
        for (int c = 0; c < in.channels(); c++) {
            int inPlane = c * w * h;
            int outPlane = c * ow * oh;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int sx;
                    int sy;
                    switch (orientation) {
                        case 2 -> { sx = w - 1 - x; sy = y; }
                        case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                        case 4 -> { sx = x; sy = h - 1 - y; }
                        case 5 -> { sx = y; sy = x; }
                        case 6 -> { sx = y; sy = h - 1 - x; }
                        case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                        case 8 -> { sx = w - 1 - y; sy = x; }
                        default -> { sx = x; sy = y; }
                    }
                    out[outPlane + y * ow + x] = in.data()[inPlane + sy * w + sx];
                }
            }
        }
        return new Pixels(ow, oh, in.channels(), out);
    }
}
