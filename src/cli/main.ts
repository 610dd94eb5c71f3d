#!/usr/bin/env node
/**
 * The `mirrorbot` command: a thin dispatcher. Each command is a module exporting
 * `run(argv, io?): Promise<number>`, loaded only when used; adding one is one line in `commands`.
 */
import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { displayMessage } from "../domain/display.js";
import { type CliIo, type Command, EXIT, resolveIo, writeLine } from "./args.js";

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  init: { summary: "write .github/mirrorbot.yml for your registry and check the login", load: () => import("./init.js") },
  check: { summary: "check images.txt: syntax, names, collisions, policy", load: () => import("./check.js") },
  plan: { summary: "show the target reference of every entry", load: () => import("./plan.js") },
  sync: { summary: "copy images to the targets, skipping what is up to date", load: () => import("./sync.js") },
  catalog: { summary: "build the catalogue site (index.html, catalog.json, badge) from result files", load: () => import("./catalog.js") },
  merge: { summary: "combine the results of a sharded sync into one result.json", load: () => import("./merge.js") },
  "shard-run": { summary: "plan a sync for shards and run them as processes on this machine", load: () => import("./shard-run.js") },
  schema: { summary: "print the JSON Schema of .github/mirrorbot.yml", load: () => import("./schema.js") },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join("\n");
  return `Usage: mirrorbot COMMAND [ARGS]\n\nCommands:\n${list}\n\nRun "mirrorbot COMMAND --help" for a command's options, "mirrorbot --version" for the version.\nNew here? "mirrorbot init" sets up your target registry.`;
}

/** Dispatch `argv` (without node and script) to a command; resolves to the exit code. */
export async function main(argv: string[], ioArg: Partial<CliIo> = {}): Promise<number> {
  const io = resolveIo(ioArg);
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    writeLine(io.stdout, usage());
    return EXIT.ok;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    writeLine(io.stdout, `mirrorbot ${await version()}`);
    return EXIT.ok;
  }
  const command = name === undefined ? undefined : Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    writeLine(io.stderr, name === undefined ? "mirrorbot: missing command" : `mirrorbot: unknown command ${displayMessage(JSON.stringify(name))}`);
    writeLine(io.stderr, usage());
    return EXIT.usage;
  }
  const module = await command.load();
  return module.run(rest, io);
}

/** The version in package.json, found from this file in src/cli or dist/src/cli. */
async function version(): Promise<string> {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(await readFile(fileURLToPath(new URL(up, import.meta.url)), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "mirrorbot" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not at this level: try the next
    }
  }
  return "unknown";
}

/** True when this file is the process entry, also through the npm bin symlink. */
function isEntry(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.exitCode = await main(process.argv.slice(2));
}
