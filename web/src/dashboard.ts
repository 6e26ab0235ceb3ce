// The read-only dashboard: chain and supply header, parameters, leaderboard, recent rounds.

import type { Config, Dashboard, RoundInfo, RoundWorker, WorkerInfo } from "./api";
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
    ["Workers per round", String(p.max_workers_per_round), "Most workers a round can score"],
    [
      "3σ rule from",
      `${p.min_population} workers`,
      "Scored active workers needed before the 3σ rule terminates outliers",
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

function leaderboardRow(worker: WorkerInfo, rank: number, mine: boolean): HTMLTableRowElement {
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
    h("td", { class: "stake num" }, amount(worker.stake_wei, false)),
    h("td", { class: "rewards num" }, amount(worker.rewards_wei)),
    h("td", { class: "slashed num" }, amount(worker.slashed_wei)),
    h("td", { class: "status" }, statusBadge(worker.status)),
  );
}

export function renderLeaderboard(dashboard: Dashboard, account: string | null): void {
  const body = byId("leaderboard").querySelector("tbody");
  if (!body) return;
  const me = account?.toLowerCase();
  const rows = dashboard.workers.map((worker, index) =>
    leaderboardRow(worker, index + 1, me !== undefined && worker.owner.toLowerCase() === me),
  );
  if (rows.length === 0) {
    body.replaceChildren(
      h("tr", { class: "empty" }, h("td", { colspan: 9 }, "No workers registered yet.")),
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
  if (entry.eliminated) {
    classes.push("eliminated");
    notes.push("terminated by the 3σ rule");
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
    entry.eliminated ? h("span", { class: "mark mark-eliminated" }, "out") : null,
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
      h("div", { class: "sub" }, `block ${round.block.toLocaleString("en-US")}`),
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
