#!/usr/bin/env python3
"""Writes the small image fixtures of src/test/resources/images (run with Debian's python3-pil).

Each picture is the same scene: a light upper half over a dark lower half, 24 pixels wide and 32 high
as it should be seen, so a test can check both the colours and the orientation after decoding.
Usage: /usr/bin/python3 tools/make_image_fixtures.py
"""
import io
import os

from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "images")
W, H = 24, 32
LIGHT, DARK = (230, 200, 40), (20, 40, 120)


def scene(mode="RGB"):
    im = Image.new("RGB", (W, H), DARK)
    im.paste(Image.new("RGB", (W, H // 2), LIGHT), (0, 0))
    return im.convert(mode)


def save(name, im, **kw):
    im.save(os.path.join(OUT, name), **kw)


def main():
    os.makedirs(OUT, exist_ok=True)
    save("progressive.jpg", scene(), quality=92, progressive=True)
    save("grey.jpg", scene("L"), quality=92)
    save("cmyk.jpg", scene("CMYK"), quality=92)
    save("scene.bmp", scene())
    save("scene.webp", scene(), lossless=True)
    # 16-bit grey PNG: PIL's I;16 mode, values spread over 0..65535.
    grey16 = scene("L").point(lambda v: v * 257, "I").convert("I;16")
    save("grey16.png", grey16)
    # Palette PNG whose lower half is fully transparent: composited onto white it becomes light.
    pal = scene().convert("P", palette=Image.ADAPTIVE, colors=4)
    dark_index = pal.getpixel((0, H - 1))
    save("palette-transparent.png", pal, transparency=dark_index)
    # Animated GIF: the first frame is the scene, the second its negative.
    first = scene().convert("P")
    second = Image.eval(scene(), lambda v: 255 - v).convert("P")
    save("animated.gif", first, save_all=True, append_images=[second], duration=100, loop=0)
    # Stored rotated, with EXIF orientation 6 ("rotate 90 degrees clockwise to view").
    stored = scene().transpose(Image.Transpose.ROTATE_90)  # counter-clockwise: what a sideways camera stores
    exif = Image.Exif()
    exif[0x0112] = 6
    save("exif-orientation-6.jpg", stored, quality=92, exif=exif.tobytes())
    bad_inputs()


def bad_inputs():
    """Files for the bad-input corpus (src/test/resources/bad-inputs, described by its cases.json)."""
    out = os.path.join(OUT, "..", "bad-inputs")
    os.makedirs(out, exist_ok=True)

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    def encoded(im, fmt, **kw):
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        return buf.getvalue()

    jpeg = encoded(scene(), "JPEG", quality=92)
    png = encoded(scene(), "PNG")
    gif = encoded(scene().convert("P"), "GIF")
    write("truncated.jpg", jpeg[: len(jpeg) // 2])
    write("truncated.png", png[: len(png) // 2])
    write("truncated.gif", gif[: len(gif) // 2])
    write("text.txt", b"this is not an image, whatever its Content-Type says\n")
    write("pixel.png", encoded(Image.new("RGB", (1, 1), (255, 0, 0)), "PNG"))
    write("line-10000x1.png", encoded(Image.new("L", (10000, 1), 128), "PNG"))
    # A JPEG header claiming 60000x60000 pixels with hardly any data behind it.
    sof = jpeg.find(b"\xff\xc0")
    bomb = bytearray(jpeg[: sof + 200])
    bomb[sof + 5: sof + 9] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")
    write("bomb-60000x60000.jpg", bytes(bomb))


if __name__ == "__main__":
    main()
