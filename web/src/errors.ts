// Turning wallet, RPC and contract errors into one plain sentence for the user.

import {
  type Abi,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  decodeErrorResult,
  isHex,
} from "viem";
import { ApiError } from "./api";

/** An `error` entry of an ABI. */
export type AbiError = Extract<Abi[number], { type: "error" }>;

/** Stops a staking flow with a message for the user; nothing further is signed or sent. */
export class FlowStop extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlowStop";
  }
}

export function stop(message: string): never {
  throw new FlowStop(message);
}

/** The error and its causes, outermost first (viem wraps provider errors in `cause`). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== null && current !== undefined && chain.length < 16) {
    if (chain.includes(current)) break;
    chain.push(current);
    if (typeof current !== "object") break;
    const cause = "cause" in current ? current.cause : undefined;
    const data = "data" in current ? current.data : undefined;
    // Some wallets nest the provider error as data.originalError.
    const nested =
      data && typeof data === "object" && "originalError" in data ? data.originalError : undefined;
    current = cause ?? nested;
  }
  return chain;
}

/** Whether the error (or one of its causes) carries this EIP-1193 / JSON-RPC error code. */
export function hasErrorCode(error: unknown, code: number): boolean {
  return causeChain(error).some(
    (item) => typeof item === "object" && item !== null && "code" in item && item.code === code,
  );
}

/** Whether the user rejected the request in the wallet (EIP-1193 code 4001). */
export function isUserRejection(error: unknown): boolean {
  return hasErrorCode(error, 4001);
}

/** Every `error` entry of these ABIs, each signature once. */
export function errorEntries(...abis: Abi[]): AbiError[] {
  const seen = new Set<string>();
  const entries: AbiError[] = [];
  for (const abi of abis) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      const signature = `${item.name}(${item.inputs.map((input) => input.type).join(",")})`;
      if (seen.has(signature)) continue;
      seen.add(signature);
      entries.push(item);
    }
  }
  return entries;
}

function formatArgument(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return isHex(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(formatArgument).join(", ")}]`;
  if (value && typeof value === "object") {
    const fields = Object.entries(value).map(([key, item]) => `${key}: ${formatArgument(item)}`);
    return `{${fields.join(", ")}}`;
  }
  return String(value);
}

/** "ErrorName(arg1, arg2)". */
export function formatErrorCall(name: string, args: readonly unknown[] | undefined): string {
  return `${name}(${(args ?? []).map(formatArgument).join(", ")})`;
}

function decodeRaw(data: Hex, errors: AbiError[]): string {
  try {
    const decoded = decodeErrorResult({ abi: errors, data });
    return formatErrorCall(decoded.errorName, decoded.args);
  } catch {
    return `an unknown error ${data.slice(0, 10)}`;
  }
}

/**
 * The contract error that made this call revert, as "ErrorName(arg1, arg2)", or null when
 * the error is not a revert. `errors` are the ABI entries of every error the deployment's
 * contracts can raise (a token error can surface through the registry).
 */
export function revertReason(error: unknown, errors: AbiError[]): string | null {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      if (reverted.data) return formatErrorCall(reverted.data.errorName, reverted.data.args);
      if (reverted.raw && reverted.raw !== "0x") return decodeRaw(reverted.raw, errors);
      if (reverted.reason) return reverted.reason;
      return "a revert without a reason";
    }
  }
  // A wallet's own gas estimate can fail with the revert data on the JSON-RPC error.
  for (const item of causeChain(error)) {
    if (typeof item !== "object" || item === null || !("data" in item)) continue;
    const data = item.data;
    if (typeof data === "string" && isHex(data) && data.length >= 10)
      return decodeRaw(data, errors);
  }
  return null;
}

function sentence(text: string): string {
  const line = (text.split("\n")[0] ?? "").trim();
  if (!line) return "Something went wrong.";
  const capital = line.charAt(0).toUpperCase() + line.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** One plain sentence describing any error: never a stack trace or a raw payload. */
export function describeError(error: unknown): string {
  if (error instanceof FlowStop || error instanceof ApiError) return error.message;
  if (isUserRejection(error)) return "You rejected the request in your wallet.";
  if (error instanceof BaseError) return sentence(error.shortMessage);
  if (error instanceof Error) return sentence(error.message);
  if (error && typeof error === "object" && "message" in error) {
    return sentence(String(error.message));
  }
  return sentence(String(error));
}
