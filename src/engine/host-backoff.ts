/**
 * Backoff shared by every request to one registry host (regclient's design): one host's 5xx
 * answers or resets slow all requests to it, instead of each request hammering it on its own
 * schedule, and a success clears the backoff.
 */
import { backoffDelay } from "./retry.js";

/** Options for a {@link HostBackoff}. */
export interface HostBackoffOptions {
  /** The first delay; doubles with each failure in a row. */
  baseMs: number;
  /** Upper bound of one delay. */
  maxMs: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The backoff state of one host. */
export class HostBackoff {
  private failures = 0;
  private until = 0;

  constructor(private readonly options: HostBackoffOptions) {}

  /** Wait until the host may be asked again. */
  async ready(): Promise<void> {
    const sleep = this.options.sleep ?? defaultSleep;
    // Loop: another request may have pushed the time out while we slept.
    for (let wait = this.until - Date.now(); wait > 0; wait = this.until - Date.now()) await sleep(wait);
  }

  /**
   * Note a failure; returns the delay before the host is asked again: the host's own
   * `Retry-After` when it gave one and it is longer, else exponential backoff with jitter.
   */
  failed(retryAfterMs: number | null): number {
    const delay = Math.max(retryAfterMs ?? 0, backoffDelay(this.failures, this.options.baseMs, this.options.maxMs, this.options.random));
    this.failures++;
    this.until = Math.max(this.until, Date.now() + delay);
    return delay;
  }

  /** Note a success: the host is healthy again. */
  succeeded(): void {
    this.failures = 0;
    this.until = 0;
  }
}

/**
 * A `Retry-After` header in milliseconds (delta-seconds or an HTTP date); null when absent or unreadable.
 * @example retryAfterMs("120") // 120000
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === "") return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
