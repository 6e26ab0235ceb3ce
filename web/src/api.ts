// The JSON API of `memjit web`: its types, and the requests the page makes.
// Amounts are decimal strings of wei; ids are 0x + 64 hex; addresses are checksummed.

import type { Address, Hex } from "viem";

export interface ChainConfig {
  id: number;
  name: string;
  /** null when the server runs on its in-process chain, which wallets cannot reach. */
  rpc_url: string | null;
  wallet_reachable: boolean;
}

export interface ContractAddresses {
  SWT: Address;
  WorkerRegistry: Address;
  UtilityOracle: Address;
  Groth16Verifier: Address;
}

export interface Config {
  version: string;
  chain: ChainConfig;
  contracts: ContractAddresses;
  token: { name: string; symbol: string; decimals: number };
  capabilities: string[];
  permit_ttl_s: number;
}

export type WorkerStatus = "active" | "exiting" | "terminated" | "withdrawn";

/** Why a worker was terminated: its usefulness lay 3σ below its capability's mean, or it
 * collected the strike limit. */
export type TerminationReason = "outlier" | "strikes";

/** A worker's termination (its WorkerEliminated event). */
export interface Termination {
  id: Hex;
  reason: TerminationReason;
  /** The round whose close terminated it; null: a terminate() call by `by`. */
  round_id: number | null;
  by: Address;
  /** Points, 0-100, at termination. */
  usefulness: number;
  slashed_wei: string;
  /** The part of `slashed_wei` paid to `by`; the rest went to the treasury. */
  bounty_wei: string;
  block: number;
  tx: Hex;
}

export interface WorkerInfo {
  id: Hex;
  owner: Address;
  cid: string;
  capability: string;
  status: WorkerStatus;
  last_score: number;
  /** Points, 0-100. */
  usefulness: number;
  rounds_scored: number;
  /** Rounds under the score floor less rounds at or above it; `strike_limit` terminate. */
  strikes: number;
  /** Active and still explored by the engine: too few scored rounds, or on probation. */
  learning: boolean;
  stake_wei: string;
  rewards_wei: string;
  slashed_wei: string;
  last_used: number;
  /** Unix time the stake of an exiting or terminated worker unbonds; 0 otherwise. */
  unbonds_at: number;
  registered_tx: Hex | null;
  termination: Termination | null;
}

export type RoundStatus = "open" | "closed" | "abandoned";

export interface RoundWorker {
  id: Hex;
  score: number | null;
  reward_wei: string;
  slashed_wei: string;
  /** Picked to explore: it was learning when the round opened. */
  explored: boolean;
  /** Why the round's close terminated it; null: it did not. */
  eliminated: TerminationReason | null;
}

export interface RoundInfo {
  id: number;
  status: RoundStatus;
  opened_at: number;
  block: number;
  /** The block whose hash seeded the choice of workers. */
  seed_block: number;
  open_tx: Hex | null;
  close_tx: Hex | null;
  minted_wei: string;
  slashed_wei: string;
  workers: RoundWorker[];
}

export interface Params {
  min_stake_wei: string;
  unbonding_delay_s: number;
  base_rate_wei: string;
  score_floor: number;
  slash_bps: number;
  strike_limit: number;
  termination_bps: number;
  max_workers_per_round: number;
  min_population: number;
  round_timeout_s: number;
}

/** The usefulness statistics of one capability's active scored workers, in points. */
export interface Population {
  capability: string;
  count: number;
  mean: number | null;
  sd: number | null;
  cutoff: number | null;
  rule_active: boolean;
}

export interface Dashboard {
  block: { number: number; timestamp: number };
  supply: { total_wei: string; staked_wei: string; minted_wei: string; slashed_wei: string };
  params: Params;
  /** One per capability a worker registered for, by name. */
  populations: Population[];
  workers: WorkerInfo[];
  rounds: RoundInfo[];
  /** Newest first. */
  terminations: Termination[];
}

export interface Account {
  address: Address;
  balance_wei: string;
  workers: WorkerInfo[];
}

export interface ModuleInfo {
  cid: string;
  size_bytes: number;
}

/** An error answer of the API (or a failure to reach it), with the server's message. */
export class ApiError extends Error {
  readonly status: number;
  readonly kind: string;

  constructor(message: string, status: number, kind: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.kind = kind;
  }
}

async function getJson<T>(path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  } catch {
    throw new ApiError("The dashboard server cannot be reached.", 0, "NetworkError");
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error =
      body && typeof body === "object" && "error" in body && typeof body.error === "string"
        ? body.error
        : `The server answered ${response.status} ${response.statusText}.`;
    const kind =
      body && typeof body === "object" && "kind" in body && typeof body.kind === "string"
        ? body.kind
        : "HttpError";
    throw new ApiError(error, response.status, kind);
  }
  if (body === null) {
    throw new ApiError(
      `The server sent an unreadable answer for ${path}.`,
      response.status,
      "BadJson",
    );
  }
  return body as T;
}

export function fetchConfig(): Promise<Config> {
  return getJson<Config>("/api/config");
}

export function fetchDashboard(): Promise<Dashboard> {
  return getJson<Dashboard>("/api/dashboard");
}

export function fetchAccount(address: Address): Promise<Account> {
  return getJson<Account>(`/api/account/${encodeURIComponent(address)}`);
}

export function fetchModule(cid: string): Promise<ModuleInfo> {
  return getJson<ModuleInfo>(`/api/modules/${encodeURIComponent(cid)}`);
}
