/**
 * Run the copy tools as child processes, each in its own process group so a timeout or Ctrl-C
 * can end it and whatever it started (by that group's id), and never anything else.
 */
import { spawn } from "node:child_process";

/** A child process that exited with a non-zero status, was killed, or could not start. */
export class ProcessError extends Error {
  constructor(
    message: string,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = "ProcessError";
  }
}

/** Options for `run`. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Kill the process group after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const live = new Set<number>();
const STDERR_TAIL = 4_000;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Kill the process groups of every child still running (for Ctrl-C and fatal errors). */
export function killAllChildren(): void {
  for (const pid of live) killGroup(pid);
}

/**
 * Run `command` with `args` (no shell); resolves when it exits 0, rejects with ProcessError otherwise.
 * stdout is discarded; the last few KB of stderr are kept for the error message.
 */
export function run(command: string, args: readonly string[], opts: RunOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new ProcessError(`${command} not started: aborted`, ""));
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ["ignore", "ignore", "pipe"], detached: true });
    let tail = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      tail = (tail + chunk.toString("utf8")).slice(-STDERR_TAIL);
    });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let why: string | null = null;
    const stop = (reason: string) => {
      why = reason;
      if (pid !== undefined) killGroup(pid);
    };
    const timer = setTimeout(() => stop(`timed out after ${Math.round(opts.timeoutMs / 1000)} s`), opts.timeoutMs);
    const onAbort = () => stop("aborted");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const finish = (err: ProcessError | null) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (pid !== undefined) live.delete(pid);
      if (err) reject(err);
      else resolve();
    };
    child.once("error", (err) => finish(new ProcessError(`${command} could not start: ${err.message}`, tail)));
    child.once("close", (code, signal) => {
      if (code === 0 && why === null) return finish(null);
      const status = why ?? (signal ? `killed by ${signal}` : `exit status ${code}`);
      const last = tail.trim().split("\n").slice(-3).join(" | ");
      finish(new ProcessError(`${command} ${args[0] ?? ""}: ${status}${last ? `: ${last}` : ""}`, tail));
    });
  });
}
