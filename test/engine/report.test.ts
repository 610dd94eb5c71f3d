import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendSummary, writeResult } from "../../src/engine/report.js";
import { RESULT_VERSION, parseResult, syncResultSchema, type SyncResult } from "../../src/engine/result.js";
import { syncResult, taskResult } from "./helpers/results.js";

const task = taskResult();
const result = syncResult([task], "1-2");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirrorbot-report-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeResult", () => {
  it("writes pretty JSON that parses back to the same result, creating the directory", async () => {
    const path = join(dir, "out", "result.json");
    await writeResult(path, result);
    const text = await readFile(path, "utf8");
    expect(text).toBe(`${JSON.stringify(result, null, 2)}\n`);
    expect(parseResult(JSON.parse(text))).toEqual(result);
  });

  it("replaces an existing file and leaves no temporary file behind", async () => {
    const path = join(dir, "result.json");
    await writeFile(path, "old");
    await writeResult(path, result);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual(result);
    expect(await readdir(dir)).toEqual(["result.json"]);
  });

  it("refuses an invalid result, naming the field, and does not touch the existing file", async () => {
    const path = join(dir, "result.json");
    await writeFile(path, "old");
    const bad = { ...result, tasks: [{ ...task, size: -1 }] } as SyncResult;
    await expect(writeResult(path, bad)).rejects.toThrow(/size/);
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["result.json"]);
  });
});

describe("appendSummary", () => {
  it("appends to what earlier steps wrote and ends with a newline", async () => {
    const path = join(dir, "summary.md");
    await writeFile(path, "# earlier step\n");
    await appendSummary(path, "## mirrorbot sync");
    await appendSummary(path, "second\n");
    expect(await readFile(path, "utf8")).toBe("# earlier step\n## mirrorbot sync\nsecond\n");
  });
});

describe("docs/result-json.md", () => {
  it("documents the current version and every field of the schema", async () => {
    const doc = await readFile(new URL("../../docs/result-json.md", import.meta.url), "utf8");
    expect(doc).toContain(`**version ${RESULT_VERSION}**`);
    const fields = [
      ...Object.keys(syncResultSchema.shape),
      ...Object.keys(syncResultSchema.shape.summary.shape),
      ...Object.keys(syncResultSchema.shape.tasks.element.shape),
    ];
    expect(fields.length).toBeGreaterThan(15);
    const missing = fields.filter((f) => !doc.includes(`| \`${f}\` |`));
    expect(missing).toEqual([]);
    for (const status of syncResultSchema.shape.tasks.element.shape.status.options) expect(doc).toContain(`"${status}"`);
  });
});
