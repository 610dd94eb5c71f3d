/** Small builders for result documents and runs, shared by the catalogue's tests. */
import type { CatalogResult, CatalogTask, RunInput } from "../../src/catalog/input.js";

/** A full sha256 digest made from one hex character, e.g. digest("a"). */
export const digest = (c: string): string => `sha256:${c.repeat(64)}`;

/** A task with sensible defaults: nginx:1.26 copied to the "hub" target. */
export function task(overrides: Partial<CatalogTask> = {}): CatalogTask {
  return {
    line: 1,
    source: "docker.io/library/nginx:1.26",
    target: "registry.example.com/mirror/nginx:1.26",
    targetName: "hub",
    platform: null,
    status: "copied",
    sourceDigest: digest("a"),
    targetDigest: digest("a"),
    size: 1000,
    bytes: 1000,
    durationMs: 10,
    error: null,
    ...overrides,
  };
}

/** A result finished at `finishedAt` holding `tasks`. */
export function result(finishedAt: string, tasks: CatalogTask[], request: string | null = null): CatalogResult {
  const count = (s: string) => tasks.filter((t) => t.status === s).length;
  return {
    version: 1,
    request,
    startedAt: new Date(Date.parse(finishedAt) - 60_000).toISOString(),
    finishedAt,
    summary: { total: tasks.length, copied: count("copied"), skipped: count("skipped"), failed: count("failed"), bytes: 0 },
    tasks,
  };
}

/** A run of octo/mirror with id `id`. */
export function run(id: string, finishedAt: string, tasks: CatalogTask[]): RunInput {
  return { key: id, url: `https://github.com/octo/mirror/actions/runs/${id}`, result: result(finishedAt, tasks) };
}
