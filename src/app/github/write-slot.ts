/**
 * When the client may write again without waiting. Probot's Octokit throttles writes (the
 * throttling plugin starts writes at least 1 s apart), so a write queued right after a read
 * leaves the server a second in which another writer can change the file: the compare-and-swap
 * fails and the retry meets the same throttle. Waiting for the write slot BEFORE the read
 * keeps read and write back to back. The plugin's queue is not observable, so this watches the
 * client's own writes (a hook on the client) and waits until the plugin's interval has passed
 * since the last one finished; that is always at least as late as the plugin would allow.
 */
import type { Octokit } from "./client.js";

/** The throttling plugin's minimum interval between writes (`minTime` of its write group). */
export const WRITE_INTERVAL_MS = 1000;
/** Slack for timer granularity, so the write does not land a hair before the slot. */
const SLACK_MS = 25;

const lastWrite = new WeakMap<Octokit, number>();

/** Start watching `octokit`'s writes (once per client; later calls do nothing). */
export function watchWrites(octokit: Octokit, now: () => number = Date.now): void {
  if (lastWrite.has(octokit)) return;
  lastWrite.set(octokit, 0);
  const isWrite = (method: string | undefined) => method !== undefined && method !== "GET" && method !== "HEAD";
  // A failed write took its slot too.
  octokit.hook.after("request", (_response, options) => void (isWrite(options.method) && lastWrite.set(octokit, now())));
  octokit.hook.error("request", (error, options) => {
    if (isWrite(options.method)) lastWrite.set(octokit, now());
    throw error;
  });
}

/** Milliseconds until `octokit` may write without the throttle holding the write; 0 when not watched. */
export function untilWriteSlot(octokit: Octokit, now: () => number = Date.now): number {
  const last = lastWrite.get(octokit) ?? 0;
  return last === 0 ? 0 : Math.max(0, last + WRITE_INTERVAL_MS + SLACK_MS - now());
}
