"""Fresh drawings of 8×8 digits: a round's canaries are pool items redrawn, never verbatim.

A ``digits-8x8`` item is what UCI's optdigits preprocessing made of a 32×32 bitmap: the number
of ink pixels (0–16) in each 4×4 block, row-major. :func:`vary_digit` draws one again:

1. the counts become a 32×32 ink density (each block's pixels at count / 16, sampled
   bilinearly, so a shift by part of a pixel moves part of the ink);
2. the density moves by a random map about the ink's centre of mass: an affine part
   (rotation, scale, aspect, shear, translation) and a smooth elastic warp (random
   displacements at a 4×4 grid of control points, bilinear in between);
3. the moved density becomes a bitmap by ordered dithering (Bayer's 4×4 matrix: a block of even
   density c / 16 gets exactly c ink pixels), each threshold jittered a little;
4. each 4×4 block's ink pixels are counted again.

One call to the caller's generator (the engine's secret one) seeds a Mersenne Twister that
draws the map and the jitter: a drawing costs one read of the operating system's randomness,
not a thousand. A map that moves no corner of the frame by :attr:`DigitVariation.min_shift_px`
is drawn again, so the identity is never used; callers still compare the result with what it
must not equal (:mod:`oracle.canaries`). Under a millisecond per drawing: a round's 16 in
about 15 ms.

The default strength keeps the example classifiers within 4 points of their held-out accuracy
while a table of the published items answers nothing (docs/oracle.md, "Canaries";
``tests/test_canaries.py`` holds it to that).
"""

from __future__ import annotations

import math
import random
from dataclasses import astuple, dataclass

from oracle.errors import MalformedInput

SIDE = 8
#: Bitmap pixels per block side: the bitmap is 32×32.
BLOCK = 4
BITMAP = SIDE * BLOCK
MAX_COUNT = BLOCK * BLOCK
#: The density grid: the bitmap with one pixel of blank margin, flat, row-major.
_PADDED = BITMAP + 2
#: Bayer's ordered-dither matrix as thresholds (v + 0.5) / 16.
_BAYER = (0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5)
_THRESHOLDS = tuple((v + 0.5) / MAX_COUNT for v in _BAYER)
#: Jittered thresholds stay within Bayer's: no ink never prints, full ink always does.
_LOWEST, _HIGHEST = min(_THRESHOLDS), max(_THRESHOLDS)
#: The elastic warp's control points: a 4×4 grid over the bitmap, corners included.
_CONTROL = 4


@dataclass(frozen=True)
class DigitVariation:
    """How far a drawing may stray from its item: the largest magnitude of each parameter,
    drawn uniformly (scale and aspect in log space)."""

    rotation_deg: float = 5.0
    #: The scale is drawn from [1/(1+scale), 1+scale].
    scale: float = 0.04
    #: Width over height, drawn like the scale.
    aspect: float = 0.04
    shear: float = 0.05
    #: Translation, in bitmap pixels (a block is 4).
    shift_px: float = 0.5
    #: Largest displacement of an elastic control point, in bitmap pixels.
    elastic_px: float = 0.5
    #: Largest change of a dither threshold (thresholds lie in 0–1).
    jitter: float = 0.1
    #: Every map moves some corner of the frame at least this far, in bitmap pixels.
    min_shift_px: float = 0.5

    def __post_init__(self) -> None:
        if any(not math.isfinite(v) or v < 0 for v in astuple(self)):
            raise MalformedInput(f"variation parameters must be finite and >= 0: {self}")
        if self.rotation_deg >= 45 or self.shear >= 1:
            raise MalformedInput("a variation rotates by less than 45° and shears by less than 1")
        moves = self.rotation_deg + self.scale + self.aspect + self.shear + self.shift_px
        if moves + self.elastic_px == 0 or self.min_shift_px == 0:
            raise MalformedInput("a variation must move every drawing (the identity is refused)")


DEFAULT_VARIATION = DigitVariation()


def vary_digit(
    item: bytes, rng: random.Random, variation: DigitVariation = DEFAULT_VARIATION
) -> bytes:
    """A fresh drawing of the 8×8 digit ``item`` (64 counts of 0–16), moved by a random map
    seeded from ``rng``. A small map may give back ``item`` itself."""
    if len(item) != SIDE * SIDE or max(item) > MAX_COUNT:
        raise MalformedInput(f"a digits-8x8 item is {SIDE * SIDE} counts of 0–{MAX_COUNT}")
    local = random.Random(rng.getrandbits(128))
    density = [0.0] * (_PADDED * _PADDED)
    ink = sum_x = sum_y = 0.0
    for index, count in enumerate(item):
        if not count:
            continue
        row, col = divmod(index, SIDE)
        for y in range(row * BLOCK + 1, row * BLOCK + BLOCK + 1):
            start = y * _PADDED + col * BLOCK + 1
            density[start : start + BLOCK] = [count / MAX_COUNT] * BLOCK
        ink += count
        sum_x += count * (col + 0.5) * BLOCK
        sum_y += count * (row + 0.5) * BLOCK
    if not ink:
        return item  # nothing to move
    centre = (sum_x / ink, sum_y / ink)
    moved = _draw_map(local, variation)
    rows, cols = _reach(item, centre, moved, variation.elastic_px)
    return _render(density, centre, moved, rows, cols, local, variation.jitter)


@dataclass(frozen=True)
class _Map:
    """Bitmap point p ↦ source point A⁻¹(p + warp(p) − centre − shift) + centre."""

    #: A and its inverse, row-major.
    forward: tuple[float, float, float, float]
    inverse: tuple[float, float, float, float]
    shift: tuple[float, float]
    #: Control displacements, (dx, dy) per control point, row-major.
    warp: tuple[float, ...]


def _draw_map(rng: random.Random, v: DigitVariation) -> _Map:
    """A random map within ``v``, drawn again until it moves the frame enough."""
    while True:
        angle = math.radians(rng.uniform(-v.rotation_deg, v.rotation_deg))
        scale = math.exp(rng.uniform(-1, 1) * math.log1p(v.scale))
        aspect = math.exp(rng.uniform(-1, 1) * math.log1p(v.aspect))
        shear = rng.uniform(-v.shear, v.shear)
        shift = (rng.uniform(-v.shift_px, v.shift_px), rng.uniform(-v.shift_px, v.shift_px))
        warp = tuple(rng.uniform(-v.elastic_px, v.elastic_px) for _ in range(2 * _CONTROL**2))
        # A = rotation · shear · diag(scale·√aspect, scale/√aspect), row-major (a b; c d)
        sx, sy = scale * math.sqrt(aspect), scale / math.sqrt(aspect)
        cos, sin = math.cos(angle), math.sin(angle)
        a, b = cos * sx, (cos * shear - sin) * sy
        c, d = sin * sx, (sin * shear + cos) * sy
        corners = max(
            math.hypot((a - 1) * x + b * y + shift[0], c * x + (d - 1) * y + shift[1])
            for x in (-BITMAP / 2, BITMAP / 2)
            for y in (-BITMAP / 2, BITMAP / 2)
        )
        if corners + max(map(abs, warp)) >= v.min_shift_px:
            det = a * d - b * c
            return _Map((a, b, c, d), (d / det, -b / det, -c / det, a / det), shift, warp)


def _control_segments() -> tuple[tuple[int, int, int], ...]:
    """The bitmap columns (or rows) between control points: (cell, first, end) per cell."""
    step = BITMAP / (_CONTROL - 1)
    cells = [min(int((p + 0.5) / step), _CONTROL - 2) for p in range(BITMAP)]
    return tuple(
        (cell, cells.index(cell), BITMAP - cells[::-1].index(cell)) for cell in range(_CONTROL - 1)
    )


_SEGMENTS = _control_segments()
#: Bitmap pixels per control cell.
_STEP = BITMAP / (_CONTROL - 1)


def _reach(
    item: bytes, centre: tuple[float, float], moved: _Map, elastic_px: float
) -> tuple[range, range]:
    """The bitmap rows and columns the moved ink can reach: the ink's bounding box (one pixel
    wider, for the bilinear sampling) mapped forward, widened by the largest warp."""
    inked = [i for i, count in enumerate(item) if count]
    left = min(i % SIDE for i in inked) * BLOCK - 1
    right = (max(i % SIDE for i in inked) + 1) * BLOCK + 1
    top = min(i // SIDE for i in inked) * BLOCK - 1
    bottom = (max(i // SIDE for i in inked) + 1) * BLOCK + 1
    a, b, c, d = moved.forward
    cx, cy = centre
    xs, ys = [], []
    for x in (left, right):
        for y in (top, bottom):
            xs.append(a * (x - cx) + b * (y - cy) + cx + moved.shift[0])
            ys.append(c * (x - cx) + d * (y - cy) + cy + moved.shift[1])
    margin = elastic_px + 1
    return (
        range(max(0, math.floor(min(ys) - margin)), min(BITMAP, math.ceil(max(ys) + margin))),
        range(max(0, math.floor(min(xs) - margin)), min(BITMAP, math.ceil(max(xs) + margin))),
    )


def _render(
    density: list[float],
    centre: tuple[float, float],
    moved: _Map,
    rows: range,
    cols: range,
    rng: random.Random,
    jitter: float,
) -> bytes:
    """Samples the moved density at the bitmap pixels it can reach, dithers them and counts
    the blocks. Between two control columns the warp is linear, so is the whole map: the
    source point advances by a constant step along a row."""
    ia, ib, ic, id_ = moved.inverse
    warp = moved.warp
    cx, cy = centre
    shift_x, shift_y = moved.shift
    counts = [0] * (SIDE * SIDE)
    uniform = rng.random
    spread = 2 * jitter
    limit = _PADDED - 1
    for y in rows:
        cell_y = min(int((y + 0.5) / _STEP), _CONTROL - 2)
        wy = (y + 0.5) / _STEP - cell_y
        top, bottom = 2 * cell_y * _CONTROL, 2 * (cell_y + 1) * _CONTROL
        # the warp along this row: the two control rows around it, blended
        row = [warp[top + k] * (1 - wy) + warp[bottom + k] * wy for k in range(2 * _CONTROL)]
        oy_row = y + 0.5 - cy - shift_y
        blocks = (y >> 2) * SIDE
        dither = (y & 3) * BLOCK
        for cell, first, end in _SEGMENTS:
            start, stop = max(first, cols.start), min(end, cols.stop)
            if start >= stop:
                continue
            k = 2 * cell
            wx = (start + 0.5) / _STEP - cell
            ox = start + 0.5 - cx - shift_x + row[k] * (1 - wx) + row[k + 2] * wx
            oy = oy_row + row[k + 1] * (1 - wx) + row[k + 3] * wx
            step_ox = 1 + (row[k + 2] - row[k]) / _STEP
            step_oy = (row[k + 3] - row[k + 1]) / _STEP
            # source point in density-grid units (the grid has a one-pixel margin)
            gx = ia * ox + ib * oy + cx + 0.5
            gy = ic * ox + id_ * oy + cy + 0.5
            step_gx = ia * step_ox + ib * step_oy
            step_gy = ic * step_ox + id_ * step_oy
            for x in range(start, stop):
                if 0.0 <= gx < limit and 0.0 <= gy < limit:
                    jx, jy = int(gx), int(gy)
                    fx, fy = gx - jx, gy - jy
                    at = jy * _PADDED + jx
                    value = (density[at] * (1 - fx) + density[at + 1] * fx) * (1 - fy) + (
                        density[at + _PADDED] * (1 - fx) + density[at + _PADDED + 1] * fx
                    ) * fy
                    # a jittered threshold, kept within Bayer's lowest and highest
                    if value > _HIGHEST or (
                        value > _LOWEST
                        and value > _THRESHOLDS[dither + (x & 3)] + (uniform() - 0.5) * spread
                    ):
                        counts[blocks + (x >> 2)] += 1
                gx += step_gx
                gy += step_gy
    return bytes(counts)
