// The EIP-1193 wallet: finding it, connecting, its chain and account, and viem clients on it.

import {
  type Address,
  type Chain,
  type Client,
  type CustomTransport,
  type EIP1193Provider,
  type JsonRpcAccount,
  createClient,
  custom,
  defineChain,
  getAddress,
  numberToHex,
} from "viem";
import type { Config } from "./api";
import { hasErrorCode, isUserRejection, stop } from "./errors";

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

export const NO_WALLET_MESSAGE =
  "No wallet found: install an EIP-1193 wallet such as MetaMask to stake. " +
  "The dashboard works without one.";

/** The injected wallet, if any. */
export function findProvider(): EIP1193Provider | null {
  const provider = window.ethereum;
  return provider && typeof provider.request === "function" ? provider : null;
}

export function wrongChainMessage(walletChainId: number, deploymentChainId: number): string {
  return (
    `Wrong network: your wallet is on chain ${walletChainId}, ` +
    `this deployment is on chain ${deploymentChainId}.`
  );
}

/** The deployment's chain, as viem describes chains. */
export function deploymentChain(config: Config): Chain {
  const id = config.chain.id;
  const rpc = config.chain.rpc_url ? [config.chain.rpc_url] : [];
  return defineChain({
    id,
    name: `MemJit devnet (chain ${id})`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: rpc } },
  });
}

export type WalletClient = Client<CustomTransport, Chain, JsonRpcAccount>;

/**
 * A viem client on the wallet's provider, for reads and writes alike: every call goes
 * through the wallet. (A bare client with the actions imported one by one keeps the bundle
 * to what the page uses.)
 */
export function walletClient(
  provider: EIP1193Provider,
  config: Config,
  account: Address,
): WalletClient {
  return createClient({
    chain: deploymentChain(config),
    transport: custom(provider),
    account,
    pollingInterval: 1000,
  });
}

/** Asks the wallet for an account (eth_requestAccounts); stops on a rejection. */
export async function requestAccount(provider: EIP1193Provider): Promise<Address> {
  let accounts: readonly string[];
  try {
    accounts = await provider.request({ method: "eth_requestAccounts" });
  } catch (error) {
    if (isUserRejection(error)) stop("You rejected the connection request.");
    if (hasErrorCode(error, -32002)) {
      stop("Your wallet already has a connection request waiting: open it to answer.");
    }
    throw error;
  }
  const first = accounts[0];
  if (!first)
    stop("Your wallet shared no account: unlock it or create an account, then connect again.");
  return getAddress(first);
}

/** The wallet's current chain id (eth_chainId). */
export async function readChainId(provider: EIP1193Provider): Promise<number> {
  const hex = await provider.request({ method: "eth_chainId" });
  return parseChainId(hex);
}

export function parseChainId(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const n = value.startsWith("0x") ? Number.parseInt(value, 16) : Number.parseInt(value, 10);
    if (Number.isFinite(n)) return n;
  }
  throw new Error(`The wallet reported an unreadable chain id ${String(value)}.`);
}

/**
 * Switches the wallet to the deployment's chain, adding the chain to the wallet first if it
 * does not know it (error 4902).
 */
export async function switchToDeploymentChain(
  provider: EIP1193Provider,
  config: Config,
): Promise<void> {
  const chainId = numberToHex(config.chain.id);
  try {
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  } catch (error) {
    if (isUserRejection(error)) stop("You rejected the network switch.");
    if (!hasErrorCode(error, 4902)) throw error;
    if (!config.chain.rpc_url)
      stop("Your wallet does not know this chain, and it has no RPC address to add.");
    try {
      await provider.request({
        method: "wallet_addEthereumChain",
        params: [
          {
            chainId,
            chainName: `MemJit devnet (chain ${config.chain.id})`,
            rpcUrls: [config.chain.rpc_url],
            nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          },
        ],
      });
    } catch (addError) {
      if (isUserRejection(addError)) stop("You rejected adding the network to your wallet.");
      throw addError;
    }
  }
}

export interface WalletEvents {
  accountsChanged: (accounts: Address[]) => void;
  chainChanged: (chainId: number) => void;
}

const subscribed = new WeakSet<object>();

/** Listens to the wallet's account and chain changes (once per provider, if it can tell). */
export function subscribe(provider: EIP1193Provider, events: WalletEvents): void {
  if (subscribed.has(provider) || typeof provider.on !== "function") return;
  subscribed.add(provider);
  provider.on("accountsChanged", (accounts: readonly string[]) => {
    const valid: Address[] = [];
    for (const account of accounts ?? []) {
      try {
        valid.push(getAddress(account));
      } catch {
        // not an address: ignored
      }
    }
    events.accountsChanged(valid);
  });
  provider.on("chainChanged", (chainId: string) => {
    try {
      events.chainChanged(parseChainId(chainId));
    } catch {
      // an unreadable chain id: the next staking action reads it again
    }
  });
}
