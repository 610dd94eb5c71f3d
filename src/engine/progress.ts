import { oneLine } from "./redact.js";
import type { TaskResult } from "./result.js";
import { formatDuration, humanBytes, shortDigest } from "./summary.js";

/** Where progress lines go: process.stderr, a CI log, or a buffer in tests. */
export interface LineSink {
  write(chunk: string): unknown;
}

/** The part of a planned task progress needs when it starts. */
export interface TaskStart {
  source: string;
  target: string;
}

export interface Progress {
  /** Mark a task in flight; prints nothing, so each task stays one line in a CI log. */
  start(task: TaskStart): void;
  /** Print the one line of a finished task, with the running count. */
  done(result: TaskResult): void;
  /** Print the closing totals line; call once after the last task. */
  finish(): void;
  /** Print a line about bytes moving while copies run (long copies). */
  transfer?(state: TransferState): void;
}

/** Bytes moving right now, for a progress line. */
export interface TransferState {
  /** Copies in flight. */
  inFlight: number;
  /** Blob bytes moved since the run started. */
  bytes: number;
  /** Rate since the previous line. */
  bytesPerSecond: number;
}

/**
 * A transfer line: plain text, no carriage return, so a terminal and an Actions log show it alike.
 * @example transferLine({inFlight: 3, bytes: 536870912, bytesPerSecond: 50e6}) // "  ... 3 copies in flight: 536.9 MB moved, 50.0 MB/s"
 */
export function transferLine(state: TransferState): string {
  const copies = state.inFlight === 1 ? "1 copy" : `${state.inFlight} copies`;
  return `  ... ${copies} in flight: ${humanBytes(state.bytes)} moved, ${humanBytes(Math.round(state.bytesPerSecond))}/s`;
}

export interface ProgressOptions {
  total: number;
  stream: LineSink;
  /** Clock in milliseconds, for the totals line; injectable for tests. */
  now?: () => number;
}

function describe(result: TaskResult): string {
  const platform = result.platform === null ? "" : ` [${result.platform}]`;
  return `${result.source}${platform} -> ${result.target}`;
}

function tail(result: TaskResult): string {
  switch (result.status) {
    case "copied": {
      const size = result.size ?? 0;
      const uploaded = result.bytes === size ? "" : ` (${humanBytes(result.bytes)} uploaded)`;
      return `  ${humanBytes(size)} in ${formatDuration(result.durationMs)}${uploaded}`;
    }
    case "skipped": {
      const digest = result.targetDigest ?? result.sourceDigest;
      return digest === null ? "  (up to date)" : `  (up to date, ${shortDigest(digest)})`;
    }
    case "failed":
      // One line per task even when skopeo's message spans several.
      return `: ${oneLine(result.error ?? "failed without a reason").trim()}`;
  }
}

/**
 * Format one finished task as a progress line.
 * @example progressLine(3, 20, copiedNginx)
 *   // "[ 3/20] copied   docker.io/library/nginx:1.26 -> registry.example.com/mirror/nginx:1.26  12.3 MB in 1.4s"
 */
export function progressLine(index: number, total: number, result: TaskResult): string {
  const width = String(total).length;
  return `[${String(index).padStart(width)}/${total}] ${result.status.padEnd(8)} ${describe(result)}${tail(result)}`;
}

/**
 * Progress for a sync: one plain line per finished task (no carriage returns, so CI logs read
 * the same as a terminal), then a totals line.
 */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const counts = { copied: 0, skipped: 0, failed: 0, bytes: 0 };
  let finished = 0;
  let running = 0;
  return {
    start() {
      running += 1;
    },
    done(result) {
      running = Math.max(0, running - 1);
      finished += 1;
      counts[result.status] += 1;
      counts.bytes += result.bytes;
      options.stream.write(`${progressLine(finished, options.total, result)}\n`);
    },
    transfer(state) {
      options.stream.write(`${transferLine(state)}\n`);
    },
    finish() {
      const left = running > 0 ? `, ${running} unfinished` : "";
      options.stream.write(
        `done: ${counts.copied} copied, ${counts.skipped} skipped, ${counts.failed} failed${left}; ` +
          `${humanBytes(counts.bytes)} uploaded in ${formatDuration(now() - startedAt)}\n`,
      );
    },
  };
}
