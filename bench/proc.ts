/**
 * What a method costs the machine, read from Linux's /proc:
 *
 * - Peak RSS of the process tree: every `intervalMs`, walk the descendants of this process
 *   (through `/proc/PID/task/TID/children`), skip the ones we were told to ignore (the
 *   registries) and their subtrees, and sum `VmRSS`. A process that lives shorter than the
 *   interval can be missed; the peak is a sampled one.
 * - Disk written: `write_bytes` of `/proc/self/io`. Linux adds a child's I/O counters to its
 *   parent's when the parent reaps it, so the bench process's counter grows by everything its
 *   reaped descendants wrote (bytes they caused to be written to storage, counted when the
 *   pages were dirtied, even if the file was deleted before writeback). The registries are
 *   children too but are not reaped during a measured run, and the bench writes nothing then.
 */
import { readdir, readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";

/** I/O counters of this process, reaped descendants included. */
export interface IoCounters {
  writeBytes: number;
  cancelledWriteBytes: number;
  readBytes: number;
}

/** Read `/proc/self/io`. */
export function selfIo(): IoCounters {
  const text = readFileSync("/proc/self/io", "utf8");
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1] ?? 0);
  return { writeBytes: field("write_bytes"), cancelledWriteBytes: field("cancelled_write_bytes"), readBytes: field("read_bytes") };
}

/** Counters accumulated between two readings. */
export function ioDelta(before: IoCounters, after: IoCounters): IoCounters {
  return {
    writeBytes: after.writeBytes - before.writeBytes,
    cancelledWriteBytes: after.cancelledWriteBytes - before.cancelledWriteBytes,
    readBytes: after.readBytes - before.readBytes,
  };
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const out: number[] = [];
  for (const tid of tasks) {
    const text = await readFile(`/proc/${pid}/task/${tid}/children`, "utf8").catch(() => "");
    for (const word of text.split(" ")) if (word.trim() !== "") out.push(Number(word));
  }
  return out;
}

async function rssBytes(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(text)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** Descendants of `root`, not counting `exclude` and their subtrees; at most `limit` of them. */
export async function descendants(root: number, exclude: ReadonlySet<number>, limit = 2_000): Promise<number[]> {
  const found: number[] = [];
  const stack = [root];
  while (stack.length > 0 && found.length < limit) {
    const pid = stack.pop()!;
    for (const child of await childrenOf(pid)) {
      if (exclude.has(child)) continue;
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}

/** A running sampler; `stop` ends it and returns what it saw. */
export interface TreeSampler {
  stop(): Promise<{ peakRssBytes: number; samples: number; peakProcesses: number }>;
}

/** Sample the RSS of this process's descendants (minus `exclude`) until stopped or `maxMs` passed. */
export function sampleTree(exclude: ReadonlySet<number>, intervalMs = 50, maxMs = 60 * 60_000): TreeSampler {
  let peakRssBytes = 0;
  let peakProcesses = 0;
  let samples = 0;
  let stopped = false;
  const started = Date.now();
  const loop = (async () => {
    while (!stopped && Date.now() - started < maxMs) {
      const pids = await descendants(process.pid, exclude);
      let sum = 0;
      for (const pid of pids) sum += await rssBytes(pid);
      samples++;
      peakRssBytes = Math.max(peakRssBytes, sum);
      peakProcesses = Math.max(peakProcesses, pids.length);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { peakRssBytes, samples, peakProcesses };
    },
  };
}
