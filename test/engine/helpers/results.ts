/** Task and sync results for the tests of what the engine reports (progress, summary, notify, result.json). */
import { buildResult, type SyncResult, type TaskResult } from "../../../src/engine/result.js";

/** The hex of the default task's digests; its short form is `sha256:abcd1234ef56`. */
export const HEX = `abcd1234ef56${"0".repeat(52)}`;

/** A task that copied docker.io/library/nginx:1.26 (12.3 MB in 1.4s) to target "example"; `over` replaces fields. */
export function taskResult(over: Partial<TaskResult> = {}): TaskResult {
  return {
    line: 1,
    source: "docker.io/library/nginx:1.26",
    target: "registry.example.com/mirror/nginx:1.26",
    targetName: "example",
    platform: null,
    status: "copied",
    sourceDigest: `sha256:${HEX}`,
    targetDigest: `sha256:${HEX}`,
    size: 12_345_678,
    bytes: 12_345_678,
    durationMs: 1_400,
    error: null,
    ...over,
  };
}

/** A task that failed on the misspelt source `ngnix:1.26`: no digests, nothing uploaded; `over` replaces fields. */
export function notFoundTask(over: Partial<TaskResult> = {}): TaskResult {
  return taskResult({
    source: "docker.io/library/ngnix:1.26",
    target: "registry.example.com/mirror/ngnix:1.26",
    status: "failed",
    sourceDigest: null,
    targetDigest: null,
    size: 0,
    bytes: 0,
    error: "source not found: docker.io/library/ngnix:1.26",
    ...over,
  });
}

/** The result of `tasks` for `request`, started at the epoch and finished one second later. */
export function syncResult(tasks: TaskResult[], request: string): SyncResult {
  return buildResult(tasks, { request, startedAt: new Date(0), finishedAt: new Date(1_000) });
}
