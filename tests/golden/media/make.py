#!/usr/bin/python3
"""Makes the fixtures of tests/unit/test_imgproc.c and tests/integration/test_media.py (run once,
by hand; the files are committed): a JPEG whose EXIF has a GPS position, a camera model and
orientation 6 (the camera was turned: the pixels are stored 90 degrees off), and a PNG with a
tEXt chunk, an iTXt (XMP) chunk and an eXIf chunk. Needs python3-pil."""
import io, struct, zlib
from PIL import Image, PngImagePlugin

W, H = 300, 200   # as stored; upright the photo is 200 x 300

def exif_bytes():
    img = Image.new("RGB", (1, 1))
    ex = img.getexif()
    ex[0x0110] = "StarlingCam 9000"       # Model
    ex[0x010F] = "Starling Optics"        # Make
    ex[0x0112] = 6                        # Orientation: rotate 90 CW to view
    gps = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    ex[0x8825] = gps                      # GPSInfo IFD
    return ex.tobytes()

def jpeg():
    img = Image.new("RGB", (W, H), (200, 30, 30))
    # a white band at the stored top: after rotation it is on the right
    for x in range(W):
        for y in range(20):
            img.putpixel((x, y), (255, 255, 255))
    img.save("gps.jpg", "JPEG", quality=90, exif=exif_bytes(),
             comment=b"secret comment")

def png():
    img = Image.new("RGBA", (120, 80), (10, 120, 200, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret text chunk")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-xmp</x:xmpmeta>")
    buf = io.BytesIO()
    img.save(buf, "PNG", pnginfo=info, exif=exif_bytes())
    open("meta.png", "wb").write(buf.getvalue())

jpeg()
png()
