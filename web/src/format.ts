// Text formatting of amounts, hashes, scores and times, and parsing of amounts typed in.

export const DECIMALS = 18;
const UNIT = 10n ** BigInt(DECIMALS);

/** Groups the digits of a non-negative integer string by thousands: "1234567" -> "1,234,567". */
function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function toBigInt(wei: bigint | string | number): bigint {
  return typeof wei === "bigint" ? wei : BigInt(wei);
}

/**
 * An amount of wei as SWT rounded to at most 2 decimals, with thousands separators and
 * without trailing zeros: 1234500000000000000000n -> "1,234.5 SWT".
 */
export function formatSwt(wei: bigint | string | number, symbol = "SWT"): string {
  const value = toBigInt(wei);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const cents = (magnitude * 100n + UNIT / 2n) / UNIT; // rounded half up
  const whole = groupThousands((cents / 100n).toString());
  const fraction = (cents % 100n).toString().padStart(2, "0").replace(/0+$/, "");
  const sign = negative && cents !== 0n ? "-" : "";
  return `${sign}${whole}${fraction ? `.${fraction}` : ""} ${symbol}`;
}

/** An amount of wei as SWT at full precision (for messages and titles): "1,234.000001 SWT". */
export function formatSwtExact(wei: bigint | string | number, symbol = "SWT"): string {
  const value = toBigInt(wei);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const whole = groupThousands((magnitude / UNIT).toString());
  const fraction = (magnitude % UNIT).toString().padStart(DECIMALS, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""} ${symbol}`;
}

/**
 * Parses an amount of SWT typed by a user into wei: "150", "150.5", "1,000" (commas are
 * dropped). Returns null for anything else: empty text, a sign, more than 18 decimals, or
 * not a number. Zero parses (callers that need a positive amount check for it).
 */
export function parseSwt(text: string): bigint | null {
  const cleaned = text.trim().replace(/,/g, "");
  const match = /^(\d*)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return null;
  const whole = match[1] ?? "";
  const fraction = match[2] ?? "";
  if (whole === "" && fraction === "") return null;
  if (fraction.length > DECIMALS) return null;
  return BigInt(whole || "0") * UNIT + BigInt((fraction || "0").padEnd(DECIMALS, "0"));
}

/** A hash, id or address shortened to its first and last 4 hex digits: "0x1234…abcd". */
export function shortHash(value: string): string {
  if (value.startsWith("0x") && value.length > 12) {
    return `${value.slice(0, 6)}…${value.slice(-4)}`;
  }
  return value;
}

/** A CID shortened to its first 8 and last 4 characters. */
export function shortCid(cid: string): string {
  return cid.length > 16 ? `${cid.slice(0, 8)}…${cid.slice(-4)}` : cid;
}

/** A number of points with one decimal: 72.5 -> "72.5", 8 -> "8.0". */
export function formatPoints(value: number): string {
  const text = value.toFixed(1);
  return text === "-0.0" ? "0.0" : text.replace("-", "−");
}

function pad(n: number): string {
  return n.toString().padStart(2, "0");
}

/** A local time of day, "14:03:09". */
export function formatClock(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A Unix time in seconds as local date and time, "2024-05-01 14:03:09". */
export function formatTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(d)}`;
}

/** A duration in seconds in the largest whole unit that fits: "2 days", "1 hour", "45 s". */
export function formatDuration(seconds: number): string {
  const units: [number, string][] = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${seconds} s`;
}

/** Basis points as a percentage: 1000 -> "10%". */
export function formatBps(bps: number): string {
  return `${(bps / 100).toString()}%`;
}
