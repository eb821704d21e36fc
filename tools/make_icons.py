"""Draw the app icons (run once; the PNGs are committed): python tools/make_icons.py."""
from pathlib import Path

from PIL import Image
from PIL import ImageDraw

OUT = Path(__file__).resolve().parent.parent / "pwa" / "icons"
BLUE = (29, 78, 137)
PAPER = (255, 255, 255)
GOLD = (244, 196, 48)


def draw(size, safe):
    """A note page with a tick, centred inside the safe zone (maskable icons need 80 %)."""
    img = Image.new("RGB", (size, size), BLUE)
    d = ImageDraw.Draw(img)
    inner = size * safe
    x0 = (size - inner * 0.62) / 2
    y0 = (size - inner * 0.78) / 2
    x1, y1 = size - x0, size - y0
    d.rounded_rectangle((x0, y0, x1, y1), radius=size * 0.04, fill=PAPER)
    line_w = max(2, int(size * 0.025))
    for i in range(3):
        y = y0 + (y1 - y0) * (0.25 + i * 0.17)
        d.line((x0 + (x1 - x0) * 0.15, y, x1 - (x1 - x0) * 0.15, y), fill=BLUE, width=line_w)
    # the tick: "put it in writing"
    w = max(3, int(size * 0.05))
    pts = [(x0 + (x1 - x0) * 0.25, y0 + (y1 - y0) * 0.78), (x0 + (x1 - x0) * 0.42, y0 + (y1 - y0) * 0.9),
           (x1 - (x1 - x0) * 0.12, y0 + (y1 - y0) * 0.62)]
    d.line(pts, fill=GOLD, width=w, joint="curve")
    return img


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, 1.0).save(OUT / "icon-192.png", optimize=True)
    draw(512, 1.0).save(OUT / "icon-512.png", optimize=True)
    draw(512, 0.8).save(OUT / "maskable-512.png", optimize=True)
    draw(192, 0.8).save(OUT / "maskable-192.png", optimize=True)
