/** What the CLI tests share: throw-away working directories and commands run with their output captured. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { Command } from "../../src/cli/args.js";

/**
 * A temp root made before the file's tests and removed after; returns a maker of fresh working
 * directories under it, holding the given files (path relative to the directory -> text).
 * @example const workdir = useWorkdirs("mirrorbot-check-"); await workdir({ ".github/mirrorbot.yml": "targets: []\n" });
 */
export function useWorkdirs(prefix: string): (files: Record<string, string>) => Promise<string> {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return async (files) => {
    const dir = await mkdtemp(join(root, "w-"));
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    return dir;
  };
}

/** A command's exit code and everything it wrote. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command's `run` (or `main`) in `cwd` with `argv`, capturing stdout and stderr. */
export async function runCommand(command: Command["run"], cwd: string, argv: string[]): Promise<CommandOutput> {
  let stdout = "";
  let stderr = "";
  const code = await command(argv, {
    cwd,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}
