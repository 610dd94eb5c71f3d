/**
 * What a run leaves in the temp dir, and cleaning up after a run that was killed (`kill -9`,
 * a cancelled CI job) before it could: private dirs named with the owner's PID, removed when
 * that process is gone, together with any skopeo it had started and that still runs.
 *
 * The native copier writes no file at all; only the skopeo copier needs an auth file and a
 * digest file per copy.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Temp dir prefixes this process owns: "<prefix><pid>-". */
export const LEFTOVER_PREFIXES = ["mirrorbot-auth-", "mirrorbot-copy-"] as const;

/** The prefix of a private temp dir of this process, e.g. "mirrorbot-copy-1234-". */
export function ownedPrefix(kind: (typeof LEFTOVER_PREFIXES)[number]): string {
  return `${kind}${process.pid}-`;
}

/** File in a copy dir holding the PID of the skopeo it runs. */
export const CHILD_PID_FILE = "child.pid";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Remove the temp dirs of dead mirrorbot processes, and kill the skopeo each had left running.
 * A PID may have been reused: a process is killed only when its command line names a file in
 * that very dir (the copy's `--digestfile`). Returns what it removed, for the log.
 */
export function cleanLeftovers(dir: string = tmpdir()): { dirs: string[]; killed: number[] } {
  const removed: string[] = [];
  const killed: number[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { dirs: removed, killed };
  }
  for (const name of names) {
    const prefix = LEFTOVER_PREFIXES.find((p) => name.startsWith(p));
    if (!prefix) continue;
    const owner = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isSafeInteger(owner) || owner === process.pid || alive(owner)) continue;
    const path = join(dir, name);
    const child = childOf(path);
    if (child !== null) {
      try {
        process.kill(child, "SIGKILL");
        killed.push(child);
      } catch {
        // Gone already.
      }
    }
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return { dirs: removed, killed };
}

/** The PID of a still running skopeo this copy dir belongs to, or null. */
function childOf(path: string): number | null {
  const file = join(path, CHILD_PID_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return null;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return argv.some((a) => a.startsWith(`${path}/`)) ? pid : null;
  } catch {
    return null;
  }
}
