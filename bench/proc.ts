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
import { readdirSync, readFileSync } from "node:fs";

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

// Synchronous reads: an async readFile of a /proc file costs an open, fstat, read and close
// through the thread pool plus promise work. Sampling a tree of Go and Node processes (about
// ten threads each) every 50 ms that way used 0.3 CPU-seconds per cold run, taken from the
// very methods being measured; read synchronously it is a few milliseconds.
function readProc(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return ""; // the process (or thread) has exited
  }
}

function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  // Children hang off the thread that forked them, which need not be the main one.
  for (const tid of tasks) {
    for (const word of readProc(`/proc/${pid}/task/${tid}/children`).split(" ")) if (word.trim() !== "") out.push(Number(word));
  }
  return out;
}

const PAGE_BYTES = 4096;

function rssBytes(pid: number): number {
  // statm: "size resident shared ..." in pages; resident is VmRSS.
  const resident = Number(readProc(`/proc/${pid}/statm`).split(" ")[1]);
  return Number.isFinite(resident) ? resident * PAGE_BYTES : 0;
}

/** Descendants of `root`, not counting `exclude` and their subtrees; at most `limit` of them. */
export function descendants(root: number, exclude: ReadonlySet<number>, limit = 2_000): number[] {
  const found: number[] = [];
  const stack = [root];
  while (stack.length > 0 && found.length < limit) {
    const pid = stack.pop()!;
    for (const child of childrenOf(pid)) {
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
      const pids = descendants(process.pid, exclude);
      let sum = 0;
      for (const pid of pids) sum += rssBytes(pid);
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

/** CPU-seconds (user + system) a process has used so far; NaN once it has exited. */
export function cpuSeconds(pid: number): number {
  // stat: "pid (comm) state ..."; comm may hold spaces, so count fields after its ")".
  const fields = readProc(`/proc/${pid}/stat`).split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux build the bench meets (x86-64, arm64). */
const CLOCK_TICKS_PER_SECOND = 100;
