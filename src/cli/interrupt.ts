/**
 * What the CLI must undo when it is interrupted (Ctrl-C, a cancelled CI job, `kill`): the
 * credentials file must not outlive the run on a laptop or a self-hosted runner.
 */
import type { EventEmitter } from "node:events";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Where signals arrive and how the process ends itself; tests pass stand-ins. */
export interface InterruptDeps {
  signals?: Pick<EventEmitter, "on" | "removeListener">;
  kill?: (pid: number, signal: NodeJS.Signals) => void;
}

/**
 * Run `cleanup` (synchronously) if the process gets SIGINT, SIGTERM or SIGHUP, then end the
 * process by that same signal, as it would have ended without us. Returns the function that
 * removes the handlers once the work is done.
 */
export function onInterrupt(cleanup: () => void, deps: InterruptDeps = {}): () => void {
  const signals = deps.signals ?? process;
  const kill = deps.kill ?? ((pid, signal) => process.kill(pid, signal));
  const handler = (signal: NodeJS.Signals) => {
    remove();
    try {
      cleanup();
    } finally {
      kill(process.pid, signal);
    }
  };
  const remove = () => {
    for (const signal of SIGNALS) signals.removeListener(signal, handler);
  };
  for (const signal of SIGNALS) signals.on(signal, handler);
  return remove;
}
