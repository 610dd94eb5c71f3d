/** Options for {@link withRetry}. */
export interface RetryOptions {
  /** Extra attempts after the first; 0 means try once. */
  retries: number;
  /** Delay before the first retry; doubles each time. */
  baseMs?: number;
  /** Upper bound for one delay. */
  maxMs?: number;
  /** Only errors this returns true for are retried; others fail fast. */
  isTransient: (error: unknown) => boolean;
  /** Called before each retry, e.g. to log it. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Injected in tests so they do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected in tests for deterministic jitter. */
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The engine's errors (RegistryError, ResolveError, SkopeoError) each say whether trying again
 * may help; anything else (a bug, a usage error) is permanent.
 */
export function isTransient(error: unknown): boolean {
  return error instanceof Error && (error as { transient?: unknown }).transient === true;
}

/** Exponential backoff with "equal jitter": delay n is random in [c/2, c], c = min(max, base * 2^n). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Run `fn`, retrying transient failures with exponential backoff and jitter. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { retries, baseMs = 1000, maxMs = 30_000, isTransient, onRetry, sleep = defaultSleep, random } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= retries || !isTransient(error)) throw error;
      const delay = backoffDelay(attempt, baseMs, maxMs, random);
      onRetry?.(error, attempt + 1, delay);
      await sleep(delay);
    }
  }
}
