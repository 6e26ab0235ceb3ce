"""The demo's leaderboard as a picture: each worker's net SWT (rewards minted minus stake
slashed), round by round. A table gives the end; the lines show the selection happening.

A dependency-free SVG writer: the chart is simple, and matplotlib would be a heavy install
for one picture.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

WIDTH, HEIGHT = 760, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 250, 52, 44
PALETTE = ("#1b7837", "#5aae61", "#2166ac", "#b2182b", "#e08214", "#762a83", "#4d4d4d", "#8c510a")
WEI = 10**18


def net_series(summary: dict[str, Any]) -> dict[str, list[float]]:
    """Per worker (by name, in leaderboard order): net SWT after round 0, 1, ..., n."""
    names = [entry["name"] for entry in summary["leaderboard"]]
    series = {name: [0.0] for name in names}
    for rnd in summary["rounds"]:
        change = {
            w["name"]: (int(w["reward_wei"]) - int(w["slashed_wei"])) / WEI for w in rnd["workers"]
        }
        for name in names:
            series[name].append(series[name][-1] + change.get(name, 0.0))
    return series


def _nice_step(span: float) -> float:
    """A round grid step (1, 2 or 5 times a power of ten) giving about five lines."""
    raw = span / 5 or 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1.0, 2.0, 5.0, 10.0) if m * magnitude >= raw)


def render_leaderboard_svg(summary: dict[str, Any]) -> str:
    """The SVG of a ``memjit demo --json`` summary."""
    series = net_series(summary)
    status = {e["name"]: e["status"] for e in summary["leaderboard"]}
    rounds = len(summary["rounds"])
    values = [v for line in series.values() for v in line]
    step = _nice_step(max(values) - min(values))
    low = step * (min(values) // step)
    high = step * -(-max(values) // step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: float) -> float:
        return LEFT + plot_w * i / max(rounds, 1)

    def y(v: float) -> float:
        return TOP + plot_h * (high - v) / ((high - low) or 1.0)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="20" font-size="15" font-weight="bold">Net SWT per worker, round by '
        f"round</text>",
        f'<text x="{LEFT}" y="36" fill="#555">rewards minted − stake slashed · memjit demo, '
        f"{rounds} rounds</text>",
    ]
    tick = low
    while tick <= high + step / 2:
        colour = "#888" if abs(tick) < step / 2 else "#e5e5e5"
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{colour}"/>'
        )
        out.append(
            f'<text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:+.0f}</text>'
        )
        tick += step
    for i in range(rounds + 1):
        out.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{i}</text>')
    out.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">round</text>'
    )
    labels: list[tuple[float, str, str]] = []
    for k, (name, line) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line))
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
        )
        out.extend(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>'
            for i, v in enumerate(line)
        )
        labels.append((y(line[-1]), f"{name} {line[-1]:+.1f} ({status[name]})", colour))
    # Labels at the lines' ends, pushed apart where lines end close together.
    labels.sort()
    placed: list[float] = []
    for wanted, text, colour in labels:
        at = max(wanted, placed[-1] + 15) if placed else wanted
        placed.append(at)
        out.append(
            f'<text x="{LEFT + plot_w + 10}" y="{at + 4:.1f}" fill="{colour}">{escape(text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
