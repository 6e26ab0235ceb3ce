// The score distribution of one capability: the usefulness of each of its active scored
// workers on a 0-100 axis, as a strip of dots that do not overlap, with the mean and the 3σ
// cutoff (the 3σ rule compares a worker with its own capability's workers only).

import type { Dashboard, Population, WorkerInfo } from "./api";
import { byId, h, s } from "./dom";
import { formatPoints, shortCid, shortHash } from "./format";

const WIDTH = 760;
const HEIGHT = 230;
const LEFT = 30;
const RIGHT = 30;
const STRIP_TOP = 52;
const AXIS_Y = 186;
const MEAN_LABEL_Y = 16;
const CUTOFF_LABEL_Y = 36;

function x(points: number): number {
  const clamped = Math.min(100, Math.max(0, points));
  return LEFT + ((WIDTH - LEFT - RIGHT) * clamped) / 100;
}

interface Dot {
  worker: WorkerInfo;
  cx: number;
  level: number;
}

/** Levels 0, -1, 1, -2, 2, ... (up first): the n-th place tried for a dot. */
function levelAt(n: number): number {
  const k = Math.ceil(n / 2);
  return n % 2 === 1 ? -k : k;
}

/** Places each dot at the level nearest the centre where it overlaps no other dot. */
function layout(workers: WorkerInfo[], spacing: number): Dot[] {
  const byLevel = new Map<number, number[]>();
  const dots: Dot[] = [];
  const sorted = [...workers].sort((a, b) => a.usefulness - b.usefulness);
  for (const worker of sorted) {
    const cx = x(worker.usefulness);
    for (let n = 0; ; n += 1) {
      const level = levelAt(n);
      const taken = byLevel.get(level) ?? [];
      if (taken.every((other) => Math.abs(other - cx) >= spacing)) {
        taken.push(cx);
        byLevel.set(level, taken);
        dots.push({ worker, cx, level });
        break;
      }
    }
  }
  return dots;
}

/** A layout that fits the strip: smaller dots when there are many. */
function fit(workers: WorkerInfo[]): { dots: Dot[]; radius: number; step: number } {
  const half = (AXIS_Y - STRIP_TOP) / 2 - 4;
  let radius = 7;
  for (;;) {
    const spacing = 2 * radius + 2;
    const dots = layout(workers, spacing);
    const deepest = Math.max(0, ...dots.map((d) => Math.abs(d.level)));
    if (deepest * spacing + radius <= half || radius <= 2.5) {
      const step = deepest === 0 ? spacing : Math.min(spacing, (half - radius) / deepest);
      return { dots, radius, step };
    }
    radius *= 0.85;
  }
}

function label(text: string, at: number, y: number, className: string): SVGTextElement {
  const anchor = at > WIDTH * 0.6 ? "end" : "start";
  const dx = anchor === "end" ? -6 : 6;
  return s(
    "text",
    { x: at + dx, y, "text-anchor": anchor, class: `plot-label ${className}` },
    text,
  );
}

/**
 * The capability the plot shows: `wanted` while a worker is registered for it, else the one
 * with the most scored workers (the first by name among equals); null before any worker.
 */
export function plotCapability(dashboard: Dashboard, wanted: string | null): string | null {
  const { populations } = dashboard;
  if (wanted !== null && populations.some((p) => p.capability === wanted)) return wanted;
  let best: Population | null = null;
  for (const population of populations) {
    if (best === null || population.count > best.count) best = population;
  }
  return best?.capability ?? null;
}

/** The plot's capability picker: one option per capability, disabled while there is one. */
export function renderCapabilityPicker(dashboard: Dashboard, capability: string | null): void {
  const select = byId<HTMLSelectElement>("plot-capability");
  const names = dashboard.populations.map((p) => p.capability);
  const current = Array.from(select.options, (o) => o.value);
  if (current.join("\n") !== names.join("\n")) {
    select.replaceChildren(...names.map((name) => h("option", { value: name }, name)));
  }
  select.value = capability ?? "";
  select.disabled = names.length < 2;
  select.hidden = names.length === 0;
}

const NO_POPULATION: Omit<Population, "capability"> = {
  count: 0,
  mean: null,
  sd: null,
  cutoff: null,
  rule_active: false,
};

export function renderScorePlot(
  dashboard: Dashboard,
  account: string | null,
  capability: string | null,
): void {
  const svg = byId<SVGSVGElement>("score-plot");
  const { params } = dashboard;
  const population = dashboard.populations.find((p) => p.capability === capability) ?? {
    ...NO_POPULATION,
    capability: capability ?? "",
  };
  const me = account?.toLowerCase();
  const scored = dashboard.workers.filter(
    (w) => w.status === "active" && w.rounds_scored > 0 && w.capability === capability,
  );
  const centre = (STRIP_TOP + AXIS_Y) / 2;
  const parts: SVGElement[] = [];

  const hasStats = population.count > 0 && population.mean !== null && population.cutoff !== null;
  const cutoff = hasStats ? population.cutoff : null;
  const mean = hasStats ? population.mean : null;

  // The zone below the cutoff, where the 3σ rule terminates workers.
  if (cutoff !== null && cutoff > 0) {
    parts.push(
      s(
        "rect",
        {
          class: population.rule_active ? "cutoff-zone active" : "cutoff-zone",
          x: x(0),
          y: STRIP_TOP - 8,
          width: x(cutoff) - x(0),
          height: AXIS_Y - STRIP_TOP + 8,
        },
        s("title", {}, "Below the cutoff: terminated while the 3σ rule is active"),
      ),
    );
  }

  // Axis with a tick every 10 points.
  parts.push(s("line", { class: "axis", x1: x(0), x2: x(100), y1: AXIS_Y, y2: AXIS_Y }));
  for (let tick = 0; tick <= 100; tick += 10) {
    parts.push(s("line", { class: "tick", x1: x(tick), x2: x(tick), y1: AXIS_Y, y2: AXIS_Y + 5 }));
    parts.push(
      s(
        "text",
        { class: "tick-label", x: x(tick), y: AXIS_Y + 18, "text-anchor": "middle" },
        String(tick),
      ),
    );
  }
  parts.push(
    s(
      "text",
      { class: "axis-title", x: WIDTH / 2, y: HEIGHT - 6, "text-anchor": "middle" },
      capability === null
        ? "usefulness (points)"
        : `usefulness of ${capability} workers (points)`,
    ),
  );

  if (mean !== null && cutoff !== null) {
    const sd = population.sd ?? 0;
    const cutoffX = x(cutoff);
    parts.push(
      s("line", {
        id: "cutoff-line",
        x1: cutoffX,
        x2: cutoffX,
        y1: CUTOFF_LABEL_Y + 6,
        y2: AXIS_Y,
      }),
    );
    const rule = population.rule_active
      ? "3σ rule live"
      : `3σ rule applies from ${params.min_population} scored workers`;
    const below = cutoff < 0 ? " (below 0)" : "";
    parts.push(
      label(
        `mean − 3σ = ${formatPoints(cutoff)}${below} · ${rule}`,
        cutoffX,
        CUTOFF_LABEL_Y,
        "cutoff-label",
      ),
    );

    const meanX = x(mean);
    parts.push(
      s("line", { id: "mean-line", x1: meanX, x2: meanX, y1: MEAN_LABEL_Y + 6, y2: AXIS_Y }),
    );
    parts.push(
      label(
        `mean = ${formatPoints(mean)} · σ = ${formatPoints(sd)}`,
        meanX,
        MEAN_LABEL_Y,
        "mean-label",
      ),
    );
  }

  if (scored.length === 0) {
    parts.push(
      s(
        "text",
        { class: "plot-empty", x: WIDTH / 2, y: centre + 4, "text-anchor": "middle" },
        "no scored workers yet",
      ),
    );
  } else {
    const { dots, radius, step } = fit(scored);
    for (const dot of dots) {
      const w = dot.worker;
      const classes = ["worker-dot"];
      if (cutoff !== null && w.usefulness < cutoff) classes.push("below-cutoff");
      if (me !== undefined && w.owner.toLowerCase() === me) classes.push("mine");
      parts.push(
        s(
          "circle",
          {
            class: classes.join(" "),
            cx: dot.cx.toFixed(1),
            cy: (centre + dot.level * step).toFixed(1),
            r: radius.toFixed(1),
            "data-worker-id": w.id,
          },
          s(
            "title",
            {},
            `Worker ${shortHash(w.id)} (${shortCid(w.cid)}): usefulness ${formatPoints(w.usefulness)} ` +
              `after ${w.rounds_scored} round${w.rounds_scored === 1 ? "" : "s"}, last score ${w.last_score}`,
          ),
        ),
      );
    }
  }

  const summary =
    scored.length === 0
      ? "Score distribution: no scored workers yet"
      : `Score distribution of ${scored.length} active scored ${population.capability} workers` +
        (mean !== null && cutoff !== null
          ? `, mean ${formatPoints(mean)}, mean − 3σ ${formatPoints(cutoff)}`
          : "");
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", summary);
  svg.replaceChildren(...parts);
}
