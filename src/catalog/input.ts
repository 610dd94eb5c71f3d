/**
 * Results as the catalogue reads them: a result.json (src/engine/result.ts), plus two optional
 * task fields the catalogue shows when a producer writes them (tag rules add `rule`; an engine
 * that reads the index can add `platforms`), plus where the run can be seen.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { z } from "zod";
import { syncResultSchema, taskResultSchema } from "../engine/result.js";

export const catalogTaskSchema = taskResultSchema.extend({
  rule: z.string().optional().describe("the tag set this task's tag was expanded from, if any (result.json leaves it out for a plain line)"),
  platforms: z.array(z.string()).optional().describe("platforms the copied image holds, when the engine read them"),
});

export const catalogResultSchema = syncResultSchema.extend({ tasks: z.array(catalogTaskSchema).describe("one entry per (image, target)") });

export type CatalogTask = z.infer<typeof catalogTaskSchema>;
export type CatalogResult = z.infer<typeof catalogResultSchema>;

/** One run's result and how to link to it. */
export interface RunInput {
  readonly key: string;
  readonly result: CatalogResult;
  readonly url: string | null;
}

/** A result file that cannot be used; names the file. */
export class ResultFileError extends Error {
  readonly file: string;
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = "ResultFileError";
    this.file = file;
  }
}

/**
 * The link to a GitHub Actions run, built from parts we trust and never from result text.
 * @example runUrl("https://github.com/octo/mirror", "123") // "https://github.com/octo/mirror/actions/runs/123"
 */
export function runUrl(repository: string | null, runId: string | null): string | null {
  if (repository === null || runId === null || !/^[0-9]{1,20}$/.test(runId)) return null;
  return `${repository.replace(/\/+$/, "")}/actions/runs/${runId}`;
}

/** Parse one result document; `runId` (a directory named by the run, as the workflow lays them out) gives its link. */
export function runInput(json: unknown, file: string, repository: string | null, runId: string | null): RunInput {
  const parsed = catalogResultSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ResultFileError(file, `not a result.json: ${issue ? `${issue.path.join(".") || "(top level)"}: ${issue.message}` : "invalid"}`);
  }
  const result = parsed.data;
  const url = runUrl(repository, runId);
  return { key: runId ?? `${result.startedAt}/${result.request ?? ""}`, result, url };
}

/**
 * Read result files: each path is a result.json or a directory searched for them (depth-bounded).
 * A result under a directory named by a run id (`runs/123/result.json`, or a shard's
 * `runs/123/shard-2/result.json`) links to that run of `repository`.
 */
export async function readResults(paths: readonly string[], options: { repository: string | null; root?: string }): Promise<RunInput[]> {
  const files: { file: string; root: string }[] = [];
  for (const path of paths) files.push(...(await resultFilesOf(path)).map((f) => ({ ...f, root: options.root ?? f.root })));
  const runs: RunInput[] = [];
  for (const { file, root } of files) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, "utf8"));
    } catch (err) {
      throw new ResultFileError(file, err instanceof SyntaxError ? `not JSON: ${err.message}` : `cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    runs.push(runInput(json, file, options.repository, runIdOf(file, root)));
  }
  return runs;
}

/** The result files under `path` (or `path` itself), each with the directory its run id is looked for up to. */
export async function resultFilesOf(path: string): Promise<{ file: string; root: string }[]> {
  return (await resultFiles(path, 4)).map((file) => ({ file, root: resolve(path) }));
}

/** The nearest directory between the file and `root` named by a run id: runs/123/result.json, runs/123/shard-2/result.json. */
function runIdOf(file: string, given: string): string | null {
  const root = resolve(file) === given ? dirname(given) : given;
  for (let dir = dirname(resolve(file)); dir.length >= root.length && dir !== dirname(dir); dir = dirname(dir)) {
    if (/^[0-9]{1,20}$/.test(basename(dir))) return basename(dir);
  }
  return null;
}

async function resultFiles(path: string, depth: number): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new ResultFileError(path, (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : "cannot read");
  }
  if (!info.isDirectory()) return [path];
  if (depth === 0) return [];
  const entries = await readdir(path, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) found.push(...(await resultFiles(full, depth - 1)));
    else if (entry.name.endsWith(".json")) found.push(full);
  }
  return found;
}
