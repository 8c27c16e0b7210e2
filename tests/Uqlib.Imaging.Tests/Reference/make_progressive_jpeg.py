"""Progressive JPEG fixtures for Uqlib.Imaging's JPEG structure check (ImageSharp 2.1's encoder writes baseline only).

Run with Debian's python (Pillow 9.4.0, numpy 1.24.2; it prints the versions):
    /usr/bin/python3 tests/Uqlib.Imaging.Tests/Reference/make_progressive_jpeg.py
It writes small progressive files under Reference/jpeg/: seeded noise in colour (4:2:0) and grayscale at sizes that are
not multiples of the block size, and a flat image whose scans are as short as an encoder makes them.
"""
import os

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "jpeg")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(14)
    noise_rgb = Image.fromarray(rng.integers(0, 256, (23, 37, 3), dtype=np.uint8), "RGB")
    noise_rgb.save(os.path.join(OUT, "progressive_rgb.jpg"), quality=90, progressive=True, subsampling=2)
    noise_gray = Image.fromarray(rng.integers(0, 256, (19, 33), dtype=np.uint8), "L")
    noise_gray.save(os.path.join(OUT, "progressive_gray.jpg"), quality=90, progressive=True)
    flat = Image.new("RGB", (200, 120), (128, 128, 128))
    flat.save(os.path.join(OUT, "progressive_flat.jpg"), quality=75, progressive=True, subsampling=0)
    print("Pillow", PIL.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    main()
