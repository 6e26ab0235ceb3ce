// The page: loads the deployment's config, polls the dashboard, and runs the wallet panel.

import { type Address, type EIP1193Provider, isHex } from "viem";
import { type MessageKind, renderWalletPanel, setMessage } from "./account";
import {
  type Account,
  type Config,
  type Dashboard,
  fetchAccount,
  fetchConfig,
  fetchDashboard,
} from "./api";
import {
  renderHeader,
  renderLeaderboard,
  renderParams,
  renderPopulations,
  renderRounds,
  renderTerminations,
} from "./dashboard";
import { byId } from "./dom";
import { describeError } from "./errors";
import { formatClock, shortHash } from "./format";
import { plotCapability, renderCapabilityPicker, renderScorePlot } from "./plot";
import {
  type StakingContext,
  addStake,
  exitWorker,
  registerWorker,
  withdrawStake,
} from "./staking";
import {
  NO_WALLET_MESSAGE,
  findProvider,
  readChainId,
  requestAccount,
  subscribe,
  switchToDeploymentChain,
  wrongChainMessage,
} from "./wallet";

const POLL_MS = 4000;
const UNREACHABLE_MESSAGE =
  "Wallets cannot reach this chain: the server runs on its own in-process chain, " +
  "so staking from the page is off. Start it with --rpc to stake.";

interface State {
  config: Config | null;
  dashboard: Dashboard | null;
  /** What the dashboard was last drawn from, to skip redrawing an unchanged one. */
  drawn: string;
  /** The capability the user picked for the score plot (null: none picked). */
  plotCapability: string | null;
  provider: EIP1193Provider | null;
  account: Address | null;
  walletChainId: number | null;
  accountData: Account | null;
  busy: boolean;
}

const state: State = {
  config: null,
  dashboard: null,
  drawn: "",
  plotCapability: null,
  provider: null,
  account: null,
  walletChainId: null,
  accountData: null,
  busy: false,
};

const say = (text: string, kind: MessageKind = null): void => setMessage(text, kind);

function onRightChain(): boolean {
  return (
    state.account !== null && state.config !== null && state.walletChainId === state.config.chain.id
  );
}

function onWrongChain(): boolean {
  return (
    state.account !== null &&
    state.config !== null &&
    state.walletChainId !== null &&
    !onRightChain()
  );
}

/* ------------------------------------------------------------------ rendering */

function setApiStatus(text: string, error: boolean): void {
  const element = byId("api-status");
  element.textContent = text;
  element.className = error ? "error" : "";
}

function renderDashboard(force = false): void {
  const { dashboard, config } = state;
  renderHeader(config, dashboard);
  if (!dashboard) return;
  const key = `${JSON.stringify(dashboard)}|${state.account ?? ""}|${state.plotCapability ?? ""}`;
  if (!force && key === state.drawn) return;
  state.drawn = key;
  const capability = plotCapability(dashboard, state.plotCapability);
  renderParams(dashboard);
  renderLeaderboard(dashboard, state.account);
  renderCapabilityPicker(dashboard, capability);
  renderScorePlot(dashboard, state.account, capability);
  renderPopulations(dashboard);
  renderRounds(dashboard);
  renderTerminations(dashboard);
}

function renderWallet(): void {
  renderWalletPanel({
    reachable: state.config?.chain.wallet_reachable ?? true,
    account: state.account,
    rightChain: onRightChain(),
    wrongChain: onWrongChain(),
    busy: state.busy,
    accountData: state.accountData,
    blockTimestamp: state.dashboard?.block.timestamp ?? null,
    capabilities: state.config?.capabilities ?? [],
  });
}

/* ------------------------------------------------------------------ data */

async function loadConfig(): Promise<Config> {
  if (state.config) return state.config;
  const config = await fetchConfig();
  state.config = config;
  byId("version").textContent = `v${config.version}`;
  if (!config.chain.wallet_reachable) say(UNREACHABLE_MESSAGE);
  renderWallet();
  return config;
}

async function refreshDashboard(): Promise<Dashboard> {
  const dashboard = await fetchDashboard();
  state.dashboard = dashboard;
  renderDashboard();
  renderWallet();
  setApiStatus(`Updated ${formatClock(new Date())}`, false);
  return dashboard;
}

async function refreshAccount(): Promise<void> {
  const account = state.account;
  if (!account) return;
  const data = await fetchAccount(account);
  if (state.account !== account) return; // the wallet switched accounts meanwhile
  state.accountData = data;
  renderWallet();
}

let refreshing = false;
let refreshAgain = false;

/**
 * Refreshes everything the page shows; errors show in the header and the next poll retries.
 * A call made while a refresh runs makes it run once more (a transaction just mined must show).
 */
async function refreshAll(): Promise<void> {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      try {
        await loadConfig();
        await refreshDashboard();
        await refreshAccount();
      } catch (error) {
        setApiStatus(`Cannot refresh: ${describeError(error)}`, true);
      }
    } while (refreshAgain);
  } finally {
    refreshing = false;
  }
}

/* ------------------------------------------------------------------ wallet */

/** Reads the wallet's chain; on the right one loads the account, else says what is wrong. */
async function checkChain(announce: boolean): Promise<void> {
  const { provider, config, account } = state;
  if (!provider || !config || !account) return;
  const chainId = await readChainId(provider);
  state.walletChainId = chainId;
  renderWallet();
  if (chainId !== config.chain.id) {
    say(wrongChainMessage(chainId, config.chain.id), "error");
    return;
  }
  await refreshAccount();
  if (announce) say(`Connected as ${shortHash(account)} on chain ${chainId}.`, "ok");
}

async function connect(): Promise<void> {
  const provider = findProvider();
  if (!provider) {
    say(NO_WALLET_MESSAGE, "error");
    return;
  }
  let config: Config;
  try {
    config = await loadConfig();
  } catch (error) {
    say(describeError(error), "error");
    return;
  }
  if (!config.chain.wallet_reachable) {
    say(UNREACHABLE_MESSAGE, "error");
    return;
  }
  say("Waiting for your wallet to share an account…");
  try {
    const account = await requestAccount(provider);
    if (state.account !== account) state.accountData = null;
    state.provider = provider;
    state.account = account;
    subscribe(provider, { accountsChanged, chainChanged });
    renderDashboard(true);
    await checkChain(true);
  } catch (error) {
    say(describeError(error), "error");
  }
  renderWallet();
}

function accountsChanged(accounts: Address[]): void {
  if (!state.account) return; // not connected: nothing shown depends on the wallet yet
  const next = accounts[0] ?? null;
  if (next === state.account) return;
  state.account = next;
  state.accountData = null;
  renderDashboard(true);
  renderWallet();
  if (!next) {
    state.walletChainId = null;
    say("Your wallet no longer shares an account with this page: connect again to stake.");
    renderWallet();
    return;
  }
  checkChain(true).catch((error: unknown) => say(describeError(error), "error"));
}

function chainChanged(chainId: number): void {
  const { config } = state;
  if (!state.account || !config) return;
  const wasRight = onRightChain();
  state.walletChainId = chainId;
  renderWallet();
  if (chainId !== config.chain.id) {
    say(wrongChainMessage(chainId, config.chain.id), "error");
  } else if (!wasRight) {
    say(`Your wallet is now on chain ${chainId}.`, "ok");
    refreshAccount().catch(() => undefined);
  }
}

async function switchChain(): Promise<void> {
  const { provider, config } = state;
  if (!provider || !config) return;
  say("Confirm the network switch in your wallet…");
  try {
    await switchToDeploymentChain(provider, config);
    const chainId = await readChainId(provider);
    state.walletChainId = chainId;
    renderWallet();
    if (chainId === config.chain.id) {
      say(`Your wallet is now on chain ${chainId}.`, "ok");
      await refreshAccount();
    } else {
      say(wrongChainMessage(chainId, config.chain.id), "error");
    }
  } catch (error) {
    say(describeError(error), "error");
  }
}

/* ------------------------------------------------------------------ staking */

function stakingContext(): StakingContext | null {
  const { provider, account, config } = state;
  if (!provider || !account || !config) return null;
  return {
    config,
    provider,
    account,
    dashboard: async () => state.dashboard ?? (await refreshDashboard()),
    say,
    onWrongChain: (walletChainId) => {
      state.walletChainId = walletChainId;
      renderWallet();
    },
  };
}

/**
 * Runs one staking flow with the staking controls disabled, then refreshes what the page
 * shows. `onSuccess` runs as soon as the flow succeeded.
 */
async function runFlow(
  flow: (ctx: StakingContext) => Promise<string>,
  onSuccess?: () => void,
): Promise<void> {
  if (state.busy) return;
  const ctx = stakingContext();
  if (!ctx) {
    say("Connect your wallet first.", "error");
    return;
  }
  state.busy = true;
  renderWallet();
  try {
    say(await flow(ctx), "ok");
    onSuccess?.();
  } catch (error) {
    say(describeError(error), "error");
  } finally {
    state.busy = false;
    renderWallet();
  }
  await refreshAll();
}

async function onRegister(event: Event): Promise<void> {
  event.preventDefault();
  const cid = byId<HTMLInputElement>("register-cid");
  const stake = byId<HTMLInputElement>("register-stake");
  const capability = byId<HTMLSelectElement>("register-capability");
  await runFlow(
    (ctx) => registerWorker(ctx, cid.value, stake.value, capability.value),
    () => {
      cid.value = "";
      stake.value = "";
    },
  );
}

async function onWorkerAction(event: Event): Promise<void> {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const button = target.closest("button");
  const row = target.closest<HTMLTableRowElement>("tr[data-worker-id]");
  if (!button || !row || button.disabled) return;
  const id = row.dataset.workerId;
  if (!id || !isHex(id)) return;
  if (button.classList.contains("add-stake")) {
    const input = row.querySelector<HTMLInputElement>("input.stake-amount");
    await runFlow(
      (ctx) => addStake(ctx, id, input?.value ?? ""),
      () => {
        if (input) input.value = "";
      },
    );
  } else if (button.classList.contains("exit")) {
    await runFlow((ctx) => exitWorker(ctx, id));
  } else if (button.classList.contains("withdraw")) {
    await runFlow((ctx) => withdrawStake(ctx, id));
  }
}

function onAmountKey(event: KeyboardEvent): void {
  const target = event.target;
  if (event.key !== "Enter" || !(target instanceof HTMLInputElement)) return;
  if (!target.classList.contains("stake-amount")) return;
  event.preventDefault();
  target.closest("tr")?.querySelector<HTMLButtonElement>("button.add-stake")?.click();
}

/* ------------------------------------------------------------------ start */

function start(): void {
  byId("connect").addEventListener("click", () => void connect());
  byId("switch-chain").addEventListener("click", () => void switchChain());
  byId("register").addEventListener("submit", (event) => void onRegister(event));
  const picker = byId<HTMLSelectElement>("plot-capability");
  picker.addEventListener("change", () => {
    state.plotCapability = picker.value || null;
    renderDashboard();
  });
  const workers = byId("account-workers");
  workers.addEventListener("click", (event) => void onWorkerAction(event));
  workers.addEventListener("keydown", onAmountKey);

  if (!findProvider()) say(NO_WALLET_MESSAGE);
  renderWallet();
  void refreshAll();
  window.setInterval(() => void refreshAll(), POLL_MS);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
