import { randomBytes } from "node:crypto";
import { appendFile, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { syncResultSchema, type SyncResult } from "./result.js";

/**
 * Validate a result and write it as pretty JSON, atomically: readers (the artifact upload, a
 * concurrent `cat`) see the old file or the whole new one, never half of it.
 * Throws a ZodError naming the field when the result does not match the schema.
 */
export async function writeResult(path: string, result: SyncResult): Promise<void> {
  const valid = syncResultSchema.parse(result);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  // Same directory as the destination, so rename never crosses a filesystem.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Append Markdown to a summary file such as `$GITHUB_STEP_SUMMARY`, which GitHub concatenates
 * across steps; a trailing newline keeps the next step's Markdown from joining our last line.
 */
export async function appendSummary(path: string, markdown: string): Promise<void> {
  await appendFile(path, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
}
