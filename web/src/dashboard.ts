// The read-only dashboard: chain and supply header, parameters, leaderboard, populations,
// recent rounds, terminations.

import type {
  Config,
  Dashboard,
  Population,
  RoundInfo,
  RoundWorker,
  Termination,
  TerminationReason,
  WorkerInfo,
} from "./api";
import { type Child, byId, h, mono } from "./dom";
import {
  formatBps,
  formatDuration,
  formatPoints,
  formatSwt,
  formatSwtExact,
  formatTime,
  shortCid,
  shortHash,
} from "./format";

/** A status word with its coloured badge; the cell's text is the word alone. */
export function statusBadge(status: string): HTMLElement {
  return h("span", { class: `badge badge-${status}` }, status);
}

/** An amount cell's content: rounded SWT, exact amount in the title. */
function amount(wei: string, zeroMuted = true): HTMLElement {
  const muted = zeroMuted && BigInt(wei) === 0n;
  return h(
    "span",
    { class: muted ? "amount muted" : "amount", title: formatSwtExact(wei) },
    formatSwt(wei),
  );
}

function txLink(hash: string | null): Child {
  return hash ? mono(shortHash(hash), hash) : h("span", { class: "muted" }, "—");
}

/** Why a reason terminates a worker, for titles. */
const REASONS: Record<TerminationReason, string> = {
  outlier: "its usefulness lay 3σ below its capability's mean",
  strikes: "it reached the strike limit",
};

/** A termination in a sentence: where, why, who called and what they were paid. */
function describeTermination(t: Termination): string {
  const where =
    t.round_id === null
      ? `by a terminate() call from ${t.by}`
      : `by the close of round #${t.round_id}`;
  return (
    `Terminated ${where}: ${REASONS[t.reason]} (usefulness ${formatPoints(t.usefulness)}). ` +
    `Slashed ${formatSwtExact(t.slashed_wei)}, of which ${formatSwtExact(t.bounty_wei)} ` +
    `went to ${t.by} as a bounty.`
  );
}

/** A small tag naming why a worker was terminated. */
function reasonTag(reason: TerminationReason, title: string): HTMLElement {
  return h("span", { class: `tag tag-${reason}`, title }, reason);
}

export function renderHeader(config: Config | null, dashboard: Dashboard | null): void {
  const info = byId("chain-info");
  const parts: Child[] = [];
  if (config) {
    parts.push(
      h(
        "span",
        { class: "chain-name", title: config.chain.rpc_url ?? "in-process chain" },
        config.chain.name,
      ),
    );
    parts.push(h("span", { class: "chain-id" }, `chain id ${config.chain.id}`));
  }
  if (dashboard) {
    parts.push(
      h(
        "span",
        { class: "block-number", title: `block time ${formatTime(dashboard.block.timestamp)}` },
        `block ${dashboard.block.number.toLocaleString("en-US")}`,
      ),
    );
  }
  info.replaceChildren(...parts.filter((p): p is Node => p instanceof Node));

  if (!dashboard) return;
  const { supply } = dashboard;
  const cells: [string, string][] = [
    ["supply-total", supply.total_wei],
    ["supply-staked", supply.staked_wei],
    ["supply-minted", supply.minted_wei],
    ["supply-slashed", supply.slashed_wei],
  ];
  for (const [id, wei] of cells) {
    const cell = byId(id);
    cell.textContent = formatSwt(wei, config?.token.symbol ?? "SWT");
    cell.classList.toggle("zero", BigInt(wei) === 0n);
    cell.title = formatSwtExact(wei, config?.token.symbol ?? "SWT");
  }
}

export function renderParams(dashboard: Dashboard): void {
  const p = dashboard.params;
  const items: [string, string, string][] = [
    ["Minimum stake", formatSwt(p.min_stake_wei), "Stake needed to register a worker"],
    [
      "Unbonding delay",
      formatDuration(p.unbonding_delay_s),
      "Time stake stays bonded after exit or termination",
    ],
    ["Base reward", formatSwt(p.base_rate_wei), "Reward rate minted to a round's top workers"],
    ["Score floor", String(p.score_floor), "Workers scoring below it are slashed"],
    ["Slash", formatBps(p.slash_bps), "Share of stake slashed under the score floor"],
    [
      "Strike limit",
      `${p.strike_limit} strikes`,
      "A round under the score floor adds a strike, a round at or above it takes one away; " +
        "this many make a worker terminable",
    ],
    [
      "Termination slash",
      formatBps(p.termination_bps),
      "Share of stake slashed at termination: half to whoever calls for it, half to the treasury",
    ],
    ["Workers per round", String(p.max_workers_per_round), "Most workers a round can score"],
    [
      "3σ rule from",
      `${p.min_population} workers`,
      "Scored active workers a capability needs before the 3σ rule terminates its outliers",
    ],
    [
      "Round timeout",
      formatDuration(p.round_timeout_s),
      "Time after which an open round can be abandoned",
    ],
  ];
  byId("params").replaceChildren(
    ...items.map(([label, value, title]) =>
      h("div", { class: "param", title }, h("dt", {}, label), h("dd", {}, value)),
    ),
  );
}

function strikesCell(worker: WorkerInfo, limit: number): HTMLElement {
  const classes = ["strikes", "num"];
  if (worker.strikes === 0) classes.push("muted");
  else if (worker.strikes >= limit) classes.push("at-limit");
  else classes.push("struck");
  return h(
    "td",
    {
      class: classes.join(" "),
      title:
        `${worker.strikes} of the ${limit} strikes that make a worker terminable ` +
        "(rounds under the score floor less rounds at or above it)",
    },
    `${worker.strikes}/${limit}`,
  );
}

function statusCell(worker: WorkerInfo): HTMLElement {
  const t = worker.termination;
  return h(
    "td",
    { class: "status" },
    statusBadge(worker.status),
    t ? reasonTag(t.reason, describeTermination(t)) : null,
  );
}

function leaderboardRow(
  worker: WorkerInfo,
  rank: number,
  mine: boolean,
  strikeLimit: number,
): HTMLTableRowElement {
  const scored = worker.rounds_scored > 0;
  const unscoredTitle = scored ? undefined : "not scored yet";
  return h(
    "tr",
    { "data-worker-id": worker.id, class: mine ? "mine" : null },
    h("td", { class: "rank" }, String(rank)),
    h(
      "td",
      { class: "worker" },
      h(
        "div",
        { class: "worker-id" },
        mono(shortHash(worker.id), worker.id),
        mine ? h("span", { class: "you" }, "yours") : null,
        worker.learning
          ? h(
              "span",
              {
                class: "tag tag-learning",
                title: "Still learning: the engine explores it until it has enough scored rounds",
              },
              "learning",
            )
          : null,
      ),
      h(
        "div",
        { class: "worker-meta" },
        h("span", { class: "label" }, "cid "),
        mono(shortCid(worker.cid), worker.cid),
        h("span", { class: "label" }, " · owner "),
        mono(shortHash(worker.owner), worker.owner),
      ),
    ),
    h("td", { class: "capability" }, worker.capability),
    h(
      "td",
      {
        class: scored ? "score num" : "score num muted",
        title: unscoredTitle ?? `${worker.rounds_scored} rounds scored`,
      },
      String(worker.last_score),
    ),
    h(
      "td",
      { class: scored ? "usefulness num" : "usefulness num muted", title: unscoredTitle },
      formatPoints(worker.usefulness),
    ),
    strikesCell(worker, strikeLimit),
    h("td", { class: "stake num" }, amount(worker.stake_wei, false)),
    h("td", { class: "rewards num" }, amount(worker.rewards_wei)),
    h("td", { class: "slashed num" }, amount(worker.slashed_wei)),
    statusCell(worker),
  );
}

export function renderLeaderboard(dashboard: Dashboard, account: string | null): void {
  const body = byId("leaderboard").querySelector("tbody");
  if (!body) return;
  const me = account?.toLowerCase();
  const limit = dashboard.params.strike_limit;
  const rows = dashboard.workers.map((worker, index) =>
    leaderboardRow(worker, index + 1, me !== undefined && worker.owner.toLowerCase() === me, limit),
  );
  if (rows.length === 0) {
    body.replaceChildren(
      h("tr", { class: "empty" }, h("td", { colspan: 10 }, "No workers registered yet.")),
    );
  } else {
    body.replaceChildren(...rows);
  }
  const count = byId("worker-count");
  const active = dashboard.workers.filter((w) => w.status === "active").length;
  count.textContent = `${dashboard.workers.length} workers · ${active} active`;
}

function roundWorker(entry: RoundWorker, closed: boolean): HTMLElement {
  const classes = ["round-worker"];
  const notes: string[] = [];
  const reward = BigInt(entry.reward_wei);
  const slashed = BigInt(entry.slashed_wei);
  if (reward > 0n) {
    classes.push("rewarded");
    notes.push(`rewarded ${formatSwtExact(reward)}`);
  }
  if (slashed > 0n) {
    classes.push("slashed");
    notes.push(`slashed ${formatSwtExact(slashed)}`);
  }
  if (entry.explored) {
    classes.push("explored");
    notes.push("picked to explore: it was still learning");
  }
  if (entry.eliminated) {
    classes.push("eliminated");
    notes.push(`terminated at the close: ${REASONS[entry.eliminated]}`);
  }
  const score = entry.score === null ? (closed ? "—" : "…") : String(entry.score);
  return h(
    "span",
    {
      class: classes.join(" "),
      title: [entry.id, ...notes].join("\n"),
      "data-worker-id": entry.id,
    },
    h("span", { class: "mono" }, shortHash(entry.id)),
    h("span", { class: "round-score" }, score),
    reward > 0n
      ? h("span", { class: "mark mark-reward" }, `+${formatSwt(reward, "")}`.trim())
      : null,
    slashed > 0n
      ? h("span", { class: "mark mark-slash" }, `−${formatSwt(slashed, "")}`.trim())
      : null,
    entry.explored ? h("span", { class: "mark mark-explored" }, "exploring") : null,
    entry.eliminated
      ? h("span", { class: "mark mark-eliminated" }, `out: ${entry.eliminated}`)
      : null,
  );
}

function roundRow(round: RoundInfo): HTMLTableRowElement {
  const closed = round.status === "closed";
  return h(
    "tr",
    { "data-round-id": round.id },
    h("td", { class: "round-id num" }, `#${round.id}`),
    h("td", { class: "round-status" }, statusBadge(round.status)),
    h(
      "td",
      { class: "round-time" },
      h("div", {}, formatTime(round.opened_at)),
      h(
        "div",
        {
          class: "sub",
          title: `Workers chosen with block ${round.seed_block}'s hash as the exploration seed`,
        },
        `block ${round.block.toLocaleString("en-US")}`,
      ),
    ),
    h("td", { class: "round-workers" }, ...round.workers.map((w) => roundWorker(w, closed))),
    h("td", { class: "round-minted num" }, amount(round.minted_wei)),
    h("td", { class: "round-slashed num" }, amount(round.slashed_wei)),
    h("td", { class: "open-tx" }, txLink(round.open_tx)),
    h("td", { class: "close-tx" }, txLink(round.close_tx)),
  );
}

export function renderRounds(dashboard: Dashboard): void {
  const body = byId("rounds").querySelector("tbody");
  if (!body) return;
  const rows = dashboard.rounds.map(roundRow);
  if (rows.length === 0) {
    body.replaceChildren(h("tr", { class: "empty" }, h("td", { colspan: 8 }, "No rounds yet.")));
  } else {
    body.replaceChildren(...rows);
  }
}

function populationRow(population: Population, minPopulation: number): HTMLTableRowElement {
  const scored = population.count > 0;
  const stat = (value: number | null): Child =>
    value === null ? h("span", { class: "muted" }, "—") : formatPoints(value);
  const rule = population.rule_active
    ? h("span", { class: "badge badge-active", title: "Outliers are terminated" }, "live")
    : h(
        "span",
        { class: "muted", title: `The 3σ rule needs ${minPopulation} scored active workers` },
        `from ${minPopulation}`,
      );
  return h(
    "tr",
    { "data-capability": population.capability },
    h("td", { class: "capability" }, population.capability),
    h("td", { class: scored ? "count num" : "count num muted" }, String(population.count)),
    h("td", { class: "mean num" }, stat(population.mean)),
    h("td", { class: "sd num" }, stat(population.sd)),
    h("td", { class: "cutoff num" }, stat(population.cutoff)),
    h("td", { class: "rule" }, rule),
  );
}

export function renderPopulations(dashboard: Dashboard): void {
  const body = byId("populations").querySelector("tbody");
  if (!body) return;
  const rows = dashboard.populations.map((p) =>
    populationRow(p, dashboard.params.min_population),
  );
  if (rows.length === 0) {
    body.replaceChildren(
      h("tr", { class: "empty" }, h("td", { colspan: 6 }, "No workers registered yet.")),
    );
  } else {
    body.replaceChildren(...rows);
  }
}

function terminationRow(t: Termination): HTMLTableRowElement {
  const where =
    t.round_id === null
      ? h(
          "span",
          { class: "by-call", title: "Anyone may call terminate() for a bounty" },
          "terminate() call",
        )
      : h("span", { class: "by-round" }, `close of round #${t.round_id}`);
  return h(
    "tr",
    { "data-worker-id": t.id, title: describeTermination(t) },
    h("td", { class: "worker" }, mono(shortHash(t.id), t.id)),
    h("td", { class: "reason" }, reasonTag(t.reason, REASONS[t.reason])),
    h("td", { class: "where" }, where),
    h("td", { class: "by" }, mono(shortHash(t.by), t.by)),
    h("td", { class: "usefulness num" }, formatPoints(t.usefulness)),
    h("td", { class: "slashed num" }, amount(t.slashed_wei)),
    h("td", { class: "bounty num" }, amount(t.bounty_wei)),
    h(
      "td",
      { class: "tx" },
      txLink(t.tx),
      h("div", { class: "sub" }, `block ${t.block.toLocaleString("en-US")}`),
    ),
  );
}

export function renderTerminations(dashboard: Dashboard): void {
  const body = byId("terminations").querySelector("tbody");
  if (!body) return;
  const rows = dashboard.terminations.map(terminationRow);
  if (rows.length === 0) {
    body.replaceChildren(
      h("tr", { class: "empty" }, h("td", { colspan: 8 }, "No worker terminated yet.")),
    );
  } else {
    body.replaceChildren(...rows);
  }
}
