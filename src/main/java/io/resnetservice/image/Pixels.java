package io.resnetservice.image;

/**
 * A decoded image as floats in [0, 1], planar (all of channel 0, then channel 1, ...), with 1 (grey) or
 * 3 (RGB) channels. Transparency has already been composited onto white.
 */
public record Pixels(int width, int height, int channels, float[] data) {

    public Pixels {
        if (data.length != width * height * channels) {
            throw new IllegalArgumentException("pixel buffer does not match " + width + "x" + height + "x" + channels);
        }
    }

    public float at(int channel, int x, int y) {
        return data[(channel * height + y) * width + x];
    }
}
