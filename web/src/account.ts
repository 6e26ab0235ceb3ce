// The wallet panel: the connected account, its workers with their staking buttons, and the
// register form. Rows are updated in place so typed amounts survive the periodic refresh.

import type { Account, WorkerInfo } from "./api";
import { byId, h, mono } from "./dom";
import { statusBadge } from "./dashboard";
import { formatSwt, formatSwtExact, formatTime, shortCid, shortHash } from "./format";

export type MessageKind = "error" | "ok" | null;

/** Writes the wallet message: one plain sentence, class error, ok or none (progress). */
export function setMessage(text: string, kind: MessageKind = null): void {
  const element = byId("wallet-message");
  element.textContent = text;
  element.className = kind ?? "";
}

export interface WalletPanel {
  /** Wallets can reach the deployment's chain (the server is not on an in-process chain). */
  reachable: boolean;
  account: string | null;
  /** The wallet is connected and on the deployment's chain. */
  rightChain: boolean;
  /** The wallet is connected but on another chain. */
  wrongChain: boolean;
  /** A staking flow is in progress. */
  busy: boolean;
  accountData: Account | null;
  /** The latest block's time, which decides whether unbonded stake can be withdrawn. */
  blockTimestamp: number | null;
  capabilities: string[];
}

function setDisabled(
  element: HTMLButtonElement | HTMLInputElement | HTMLSelectElement,
  disabled: boolean,
): void {
  if (element.disabled !== disabled) element.disabled = disabled;
}

function newWorkerRow(worker: WorkerInfo): HTMLTableRowElement {
  const input = h("input", {
    class: "stake-amount",
    type: "text",
    inputmode: "decimal",
    autocomplete: "off",
    placeholder: "SWT",
    "aria-label": `SWT to add to worker ${shortHash(worker.id)}`,
  });
  return h(
    "tr",
    { "data-worker-id": worker.id },
    h(
      "td",
      { class: "worker" },
      h("div", { class: "worker-id" }, mono(shortHash(worker.id), worker.id)),
      h(
        "div",
        { class: "worker-meta" },
        h("span", { class: "label" }, "cid "),
        mono(shortCid(worker.cid), worker.cid),
      ),
    ),
    h("td", { class: "status" }),
    h("td", { class: "stake num" }),
    h(
      "td",
      { class: "actions" },
      h(
        "span",
        { class: "add-group" },
        input,
        h("button", { type: "button", class: "add-stake" }, "Add stake"),
      ),
      h("button", { type: "button", class: "exit secondary" }, "Exit"),
      h("button", { type: "button", class: "withdraw secondary" }, "Withdraw"),
    ),
  );
}

function updateWorkerRow(row: HTMLTableRowElement, worker: WorkerInfo, panel: WalletPanel): void {
  const enabled = panel.rightChain && !panel.busy;
  const status = row.querySelector<HTMLElement>("td.status");
  if (status && status.textContent !== worker.status)
    status.replaceChildren(statusBadge(worker.status));
  const stake = row.querySelector<HTMLElement>("td.stake");
  if (stake) {
    stake.textContent = formatSwt(worker.stake_wei);
    stake.title = formatSwtExact(worker.stake_wei);
  }

  const active = worker.status === "active";
  const input = row.querySelector<HTMLInputElement>("input.stake-amount");
  const add = row.querySelector<HTMLButtonElement>("button.add-stake");
  const exit = row.querySelector<HTMLButtonElement>("button.exit");
  const withdraw = row.querySelector<HTMLButtonElement>("button.withdraw");
  if (input) setDisabled(input, !(enabled && active));
  if (add) {
    setDisabled(add, !(enabled && active));
    add.title = active
      ? "Sign a permit and add this much SWT to the stake"
      : "Only active workers take more stake";
  }
  if (exit) {
    exit.hidden = !active;
    setDisabled(exit, !(enabled && active));
    exit.title = "Leave selection; the stake then unbonds";
  }
  if (withdraw) {
    const unbonding = worker.status === "exiting" || worker.status === "terminated";
    const due = panel.blockTimestamp !== null && panel.blockTimestamp >= worker.unbonds_at;
    withdraw.hidden = !unbonding;
    setDisabled(withdraw, !(enabled && unbonding && due));
    withdraw.title = unbonding
      ? due
        ? "Withdraw the unbonded stake"
        : `unbonds at ${formatTime(worker.unbonds_at)}`
      : "Only exiting or terminated workers can withdraw";
  }
}

function renderWorkers(panel: WalletPanel): void {
  const table = byId<HTMLTableElement>("account-workers");
  const body = table.tBodies[0] ?? table.createTBody();
  const workers = panel.accountData?.workers ?? [];
  const existing = new Map<string, HTMLTableRowElement>();
  for (const row of Array.from(body.rows)) {
    const id = row.dataset.workerId;
    if (id) existing.set(id, row);
    else row.remove();
  }
  const keep = new Set<string>(workers.map((w) => w.id));
  for (const [id, row] of existing) {
    if (!keep.has(id)) row.remove();
  }
  let previous: HTMLTableRowElement | null = null;
  for (const worker of workers) {
    let row = existing.get(worker.id);
    if (!row) row = newWorkerRow(worker);
    updateWorkerRow(row, worker, panel);
    const expectedPosition: ChildNode | null = previous ? previous.nextSibling : body.firstChild;
    if (expectedPosition !== row) body.insertBefore(row, expectedPosition);
    previous = row;
  }
  if (workers.length === 0) {
    body.append(
      h(
        "tr",
        { class: "empty" },
        h(
          "td",
          { colspan: 4 },
          panel.accountData ? "No workers yet: register one below." : "Loading…",
        ),
      ),
    );
  }
}

function renderRegisterForm(panel: WalletPanel): void {
  const form = byId<HTMLFormElement>("register");
  form.hidden = !panel.reachable;
  const select = byId<HTMLSelectElement>("register-capability");
  const current = Array.from(select.options).map((o) => o.value);
  if (current.join("\n") !== panel.capabilities.join("\n")) {
    select.replaceChildren(...panel.capabilities.map((c) => h("option", { value: c }, c)));
  }
  const enabled = panel.rightChain && !panel.busy;
  for (const id of ["register-cid", "register-stake", "register-capability", "register-submit"]) {
    setDisabled(byId<HTMLInputElement>(id), !enabled);
  }
  byId("register-hint").textContent = panel.account
    ? panel.wrongChain
      ? "Switch your wallet to this deployment's chain to register."
      : "You sign a permit for the stake, then confirm one transaction."
    : "Connect your wallet to register a worker.";
}

export function renderWalletPanel(panel: WalletPanel): void {
  const connect = byId<HTMLButtonElement>("connect");
  connect.hidden = !panel.reachable;
  connect.textContent = panel.account ? "Reconnect wallet" : "Connect wallet";
  const switchChain = byId<HTMLButtonElement>("switch-chain");
  switchChain.hidden = !panel.wrongChain;
  setDisabled(switchChain, panel.busy);

  const details = byId("account");
  details.hidden = !(panel.reachable && panel.account);
  if (panel.account) {
    const address = byId("account-address");
    if (address.textContent !== panel.account) address.textContent = panel.account;
    const balance = byId("account-balance");
    if (panel.accountData) {
      balance.textContent = formatSwt(panel.accountData.balance_wei);
      balance.title = formatSwtExact(panel.accountData.balance_wei);
    } else {
      balance.textContent = "…";
    }
    renderWorkers(panel);
  }
  renderRegisterForm(panel);
}
