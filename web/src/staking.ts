// Staking flows: register a worker, add stake, exit, withdraw. Every check that fails stops
// the flow with a message before anything is signed or sent.

import {
  type Abi,
  type Address,
  type EIP1193Provider,
  type Hex,
  hexToNumber,
  size,
  slice,
  stringToHex,
} from "viem";
import {
  getBlock,
  readContract,
  signTypedData,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "viem/actions";
import type { MessageKind } from "./account";
import { ApiError, type Config, type Dashboard, fetchModule } from "./api";
import { type AbiError, errorEntries, isUserRejection, revertReason, stop } from "./errors";
import { formatSwt, formatSwtExact, formatTime, parseSwt, shortHash } from "./format";
import { type WalletClient, readChainId, walletClient, wrongChainMessage } from "./wallet";

/** What a flow needs from the page. */
export interface StakingContext {
  config: Config;
  provider: EIP1193Provider;
  account: Address;
  /** The latest dashboard, fetched again if the page has none yet. */
  dashboard: () => Promise<Dashboard>;
  /** Writes the wallet message: one sentence. */
  say: (text: string, kind?: MessageKind) => void;
  /** The wallet is on another chain than the deployment's. */
  onWrongChain: (walletChainId: number) => void;
}

/** The fields of the registry's Worker struct a flow reads. */
interface WorkerRecord {
  owner: Address;
  status: number;
  stake: bigint;
  unbondsAt: number | bigint;
}

const STATUS_NONE = 0;

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

interface Permit {
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

/** One flow's clients and contract handles. */
class Session {
  readonly ctx: StakingContext;
  readonly client: WalletClient;
  readonly registry: Address;
  readonly token: Address;
  readonly registryAbi: Abi;
  readonly tokenAbi: Abi;
  readonly errors: AbiError[];

  constructor(ctx: StakingContext) {
    this.ctx = ctx;
    this.client = walletClient(ctx.provider, ctx.config, ctx.account);
    this.registry = ctx.config.contracts.WorkerRegistry;
    this.token = ctx.config.contracts.SWT;
    const { abis } = ctx.config;
    this.errors = errorEntries(abis.WorkerRegistry, abis.SWT, abis.UtilityOracle);
    // The registry's ABI plus the errors of the token and oracle, which can surface
    // through it (a failed permit or transfer reverts with the token's error).
    this.registryAbi = [...abis.WorkerRegistry, ...this.errors];
    this.tokenAbi = abis.SWT;
  }

  /** Refuses unless the wallet is on the deployment's chain right now. */
  async requireChain(): Promise<void> {
    const walletChainId = await readChainId(this.ctx.provider);
    const expected = this.ctx.config.chain.id;
    if (walletChainId !== expected) {
      this.ctx.onWrongChain(walletChainId);
      stop(wrongChainMessage(walletChainId, expected));
    }
  }

  async balance(): Promise<bigint> {
    const value = await readContract(this.client, {
      address: this.token,
      abi: this.tokenAbi,
      functionName: "balanceOf",
      args: [this.ctx.account],
    });
    return value as bigint;
  }

  async requireBalance(amount: bigint, what: string): Promise<void> {
    const balance = await this.balance();
    if (balance < amount) {
      const [have, need] = formatPair(balance, amount);
      stop(`Not enough SWT: you have ${have}, the ${what} is ${need}.`);
    }
  }

  async worker(id: Hex): Promise<WorkerRecord> {
    const value = await readContract(this.client, {
      address: this.registry,
      abi: this.registryAbi,
      functionName: "worker",
      args: [id],
    });
    return value as WorkerRecord;
  }

  async workerId(cid: string): Promise<Hex> {
    const value = await readContract(this.client, {
      address: this.registry,
      abi: this.registryAbi,
      functionName: "workerId",
      args: [this.ctx.account, cid],
    });
    return value as Hex;
  }

  /** Signs an EIP-2612 permit letting the registry take `value` SWT. */
  async signPermit(value: bigint): Promise<Permit> {
    const nonce = (await readContract(this.client, {
      address: this.token,
      abi: this.tokenAbi,
      functionName: "nonces",
      args: [this.ctx.account],
    })) as bigint;
    const block = await getBlock(this.client, { blockTag: "latest" });
    const now = BigInt(Math.floor(Date.now() / 1000));
    const start = block.timestamp > now ? block.timestamp : now;
    const deadline = start + BigInt(this.ctx.config.permit_ttl_s);

    await this.requireChain();
    this.ctx.say("Sign the permit in your wallet…");
    let signature: Hex;
    try {
      signature = await signTypedData(this.client, {
        account: this.ctx.account,
        domain: {
          name: this.ctx.config.token.name,
          version: "1",
          chainId: this.ctx.config.chain.id,
          verifyingContract: this.token,
        },
        types: PERMIT_TYPES,
        primaryType: "Permit",
        message: { owner: this.ctx.account, spender: this.registry, value, nonce, deadline },
      });
    } catch (error) {
      if (isUserRejection(error)) stop("You rejected the signature request; nothing was sent.");
      throw error;
    }
    return { deadline, ...splitSignature(signature) };
  }

  /** Simulates a registry call; a revert stops the flow with the decoded contract error. */
  async simulate(functionName: string, args: readonly unknown[]) {
    try {
      return await simulateContract(this.client, {
        address: this.registry,
        abi: this.registryAbi,
        functionName,
        args,
        account: this.ctx.account,
      });
    } catch (error) {
      const reason = revertReason(error, this.errors);
      if (reason !== null) stop(`The WorkerRegistry refused: ${reason}`);
      throw error;
    }
  }

  /** Sends a simulated call and waits until it is mined; stops unless it succeeded. */
  async send(request: Awaited<ReturnType<Session["simulate"]>>["request"]): Promise<Hex> {
    await this.requireChain();
    this.ctx.say("Confirm the transaction in your wallet…");
    let hash: Hex;
    try {
      hash = await writeContract(this.client, request);
    } catch (error) {
      if (isUserRejection(error)) stop("You rejected the transaction; nothing was sent.");
      const reason = revertReason(error, this.errors);
      if (reason !== null) stop(`The WorkerRegistry refused: ${reason}`);
      throw error;
    }
    this.ctx.say(`Waiting for the transaction ${shortHash(hash)}…`);
    const receipt = await waitForTransactionReceipt(this.client, { hash });
    if (receipt.status !== "success") stop(`The transaction reverted (tx ${shortHash(hash)}).`);
    return hash;
  }
}

/** Two amounts rounded as the page shows them, at full precision if they would look equal. */
function formatPair(a: bigint, b: bigint): [string, string] {
  const [roundA, roundB] = [formatSwt(a), formatSwt(b)];
  return roundA === roundB && a !== b ? [formatSwtExact(a), formatSwtExact(b)] : [roundA, roundB];
}

/** The r, s and v of a 65-byte signature (v as 27 or 28). */
function splitSignature(signature: Hex): { r: Hex; s: Hex; v: number } {
  if (size(signature) !== 65)
    stop("Your wallet returned a signature of an unexpected length; nothing was sent.");
  const v = hexToNumber(slice(signature, 64, 65));
  return { r: slice(signature, 0, 32), s: slice(signature, 32, 64), v: v < 27 ? v + 27 : v };
}

/** The capability name as UTF-8, right-padded with zeros to 32 bytes. */
export function capabilityBytes32(name: string): Hex {
  return stringToHex(name, { size: 32 });
}

// The flows. Each returns the sentence to show on success (class ok), or throws: a FlowStop
// with the message for the user, or another error the page describes in one sentence.

/** Registers a worker: checks the form, the chain, the stake, the module and the id, then
 * one permit signature and one transaction. */
export async function registerWorker(
  ctx: StakingContext,
  cidText: string,
  stakeText: string,
  capability: string,
): Promise<string> {
  const cid = cidText.trim();
  if (!cid) stop("Enter the CID of a published worker module.");
  const stake = parseSwt(stakeText);
  if (stake === null || stake <= 0n) stop("Enter the stake in SWT, e.g. 150.");
  if (!capability) stop("Choose the capability your worker serves.");
  if (new TextEncoder().encode(capability).length > 32) {
    stop(`The capability name ${capability} is longer than 32 bytes.`);
  }

  const session = new Session(ctx);
  await session.requireChain();

  const dashboard = await ctx.dashboard();
  const minStake = BigInt(dashboard.params.min_stake_wei);
  if (stake < minStake) stop(`The minimum stake is ${formatSwtExact(minStake)}.`);

  await session.requireBalance(stake, "stake");

  ctx.say("Checking the module with the server…");
  try {
    await fetchModule(cid);
  } catch (error) {
    if (error instanceof ApiError) stop(error.message);
    throw error;
  }

  const id = await session.workerId(cid);
  const existing = await session.worker(id);
  if (Number(existing.status) !== STATUS_NONE) {
    stop(`You already registered this CID as worker ${shortHash(id)}.`);
  }

  const permit = await session.signPermit(stake);
  const { request } = await session.simulate("registerWithPermit", [
    cid,
    stake,
    capabilityBytes32(capability),
    permit.deadline,
    permit.v,
    permit.r,
    permit.s,
  ]);
  const hash = await session.send(request);
  return `Registered worker ${shortHash(id)} with ${formatSwtExact(stake)} (tx ${shortHash(hash)}).`;
}

/** Adds stake to an active worker: one permit signature and one transaction. */
export async function addStake(ctx: StakingContext, id: Hex, amountText: string): Promise<string> {
  const amount = parseSwt(amountText);
  if (amount === null || amount <= 0n) stop("Enter the amount of SWT to add, e.g. 50.");

  const session = new Session(ctx);
  await session.requireChain();
  await session.requireBalance(amount, "amount");

  const permit = await session.signPermit(amount);
  const { request } = await session.simulate("addStakeWithPermit", [
    id,
    amount,
    permit.deadline,
    permit.v,
    permit.r,
    permit.s,
  ]);
  await session.send(request);
  const worker = await session.worker(id);
  return (
    `Added ${formatSwtExact(amount)} to worker ${shortHash(id)}: ` +
    `its stake is now ${formatSwt(worker.stake)}.`
  );
}

/** Exits an active worker; its stake starts unbonding. */
export async function exitWorker(ctx: StakingContext, id: Hex): Promise<string> {
  const session = new Session(ctx);
  await session.requireChain();
  const { request } = await session.simulate("exit", [id]);
  await session.send(request);
  const worker = await session.worker(id);
  return `Worker ${shortHash(id)} is exiting; its stake unbonds at ${formatTime(Number(worker.unbondsAt))}.`;
}

/** Withdraws the unbonded stake of an exiting or terminated worker. */
export async function withdrawStake(ctx: StakingContext, id: Hex): Promise<string> {
  const session = new Session(ctx);
  await session.requireChain();
  const { request, result } = await session.simulate("withdraw", [id]);
  await session.send(request);
  return `Withdrew ${formatSwt(result as bigint)} from worker ${shortHash(id)}.`;
}
