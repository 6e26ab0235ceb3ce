// Staking flows: register a worker, add stake, exit, withdraw. Every check that fails stops
// the flow with a message before anything is signed or sent.

import {
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
import { swtAbi, utilityOracleAbi, workerRegistryAbi } from "./abis";
import type { MessageKind } from "./account";
import { ApiError, type Config, type Dashboard, fetchModule } from "./api";
import { errorEntries, isUserRejection, revertReason, stop } from "./errors";
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

/** Every error the deployment's contracts can raise, each signature once. */
const CONTRACT_ERRORS = errorEntries(workerRegistryAbi, swtAbi, utilityOracleAbi);

/**
 * The registry's ABI plus the errors of the token and oracle, which can surface through it
 * (a failed permit or transfer reverts with the token's error).
 */
const REGISTRY_ABI = [...workerRegistryAbi, ...CONTRACT_ERRORS] as const;

/** What every simulated registry call names: the registry, its ABI and the account. */
interface RegistryCall {
  address: Address;
  abi: typeof REGISTRY_ABI;
  account: Address;
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

  constructor(ctx: StakingContext) {
    this.ctx = ctx;
    this.client = walletClient(ctx.provider, ctx.config, ctx.account);
    this.registry = ctx.config.contracts.WorkerRegistry;
    this.token = ctx.config.contracts.SWT;
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

  balance() {
    return readContract(this.client, {
      address: this.token,
      abi: swtAbi,
      functionName: "balanceOf",
      args: [this.ctx.account],
    });
  }

  async requireBalance(amount: bigint, what: string): Promise<void> {
    const balance = await this.balance();
    if (balance < amount) {
      const [have, need] = formatPair(balance, amount);
      stop(`Not enough SWT: you have ${have}, the ${what} is ${need}.`);
    }
  }

  worker(id: Hex) {
    return readContract(this.client, {
      address: this.registry,
      abi: REGISTRY_ABI,
      functionName: "worker",
      args: [id],
    });
  }

  workerId(cid: string) {
    return readContract(this.client, {
      address: this.registry,
      abi: REGISTRY_ABI,
      functionName: "workerId",
      args: [this.ctx.account, cid],
    });
  }

  /** The id of the worker registered at `cid` by anyone, or zero: a CID has one registrant. */
  holderOf(cid: string) {
    return readContract(this.client, {
      address: this.registry,
      abi: REGISTRY_ABI,
      functionName: "workerIdOfCid",
      args: [cid],
    });
  }

  /** Signs an EIP-2612 permit letting the registry take `value` SWT. */
  async signPermit(value: bigint): Promise<Permit> {
    const nonce = await readContract(this.client, {
      address: this.token,
      abi: swtAbi,
      functionName: "nonces",
      args: [this.ctx.account],
    });
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

  /**
   * Simulates a registry call (`simulation` makes it, given the session's client and what
   * the call names); a revert stops the flow with the decoded contract error.
   */
  async simulate<T>(
    simulation: (client: WalletClient, registry: RegistryCall) => Promise<T>,
  ): Promise<T> {
    const registry: RegistryCall = {
      address: this.registry,
      abi: REGISTRY_ABI,
      account: this.ctx.account,
    };
    try {
      return await simulation(this.client, registry);
    } catch (error) {
      const reason = revertReason(error, CONTRACT_ERRORS);
      if (reason !== null) stop(`The WorkerRegistry refused: ${reason}`);
      throw error;
    }
  }

  /**
   * Has the wallet send a simulated call (`write` sends it, given the session's client) and
   * waits until it is mined; stops unless it succeeded.
   */
  async send(write: (client: WalletClient) => Promise<Hex>): Promise<Hex> {
    await this.requireChain();
    this.ctx.say("Confirm the transaction in your wallet…");
    let hash: Hex;
    try {
      hash = await write(this.client);
    } catch (error) {
      if (isUserRejection(error)) stop("You rejected the transaction; nothing was sent.");
      const reason = revertReason(error, CONTRACT_ERRORS);
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
  if (existing.status !== STATUS_NONE) {
    stop(`You already registered this CID as worker ${shortHash(id)}.`);
  }
  const holder = await session.holderOf(cid);
  if (BigInt(holder) !== 0n) {
    stop(`This CID is already registered, as worker ${shortHash(holder)}: a CID has one owner.`);
  }

  const permit = await session.signPermit(stake);
  const { request } = await session.simulate((client, registry) =>
    simulateContract(client, {
      ...registry,
      functionName: "registerWithPermit",
      args: [
        cid,
        stake,
        capabilityBytes32(capability),
        permit.deadline,
        permit.v,
        permit.r,
        permit.s,
      ],
    }),
  );
  const hash = await session.send((client) => writeContract(client, request));
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
  const { request } = await session.simulate((client, registry) =>
    simulateContract(client, {
      ...registry,
      functionName: "addStakeWithPermit",
      args: [id, amount, permit.deadline, permit.v, permit.r, permit.s],
    }),
  );
  await session.send((client) => writeContract(client, request));
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
  const { request } = await session.simulate((client, registry) =>
    simulateContract(client, { ...registry, functionName: "exit", args: [id] }),
  );
  await session.send((client) => writeContract(client, request));
  const worker = await session.worker(id);
  return `Worker ${shortHash(id)} is exiting; its stake unbonds at ${formatTime(worker.unbondsAt)}.`;
}

/** Withdraws the unbonded stake of an exiting or terminated worker. */
export async function withdrawStake(ctx: StakingContext, id: Hex): Promise<string> {
  const session = new Session(ctx);
  await session.requireChain();
  const { request, result } = await session.simulate((client, registry) =>
    simulateContract(client, { ...registry, functionName: "withdraw", args: [id] }),
  );
  await session.send((client) => writeContract(client, request));
  return `Withdrew ${formatSwt(result)} from worker ${shortHash(id)}.`;
}
