/**
 * `mirrorbot shard-run`: what the mirror workflow's plan -> matrix -> merge does, on one
 * machine, for people with their own CI: plan once, run the seed, then every shard as its own
 * `mirrorbot sync --plan` process at once, and merge their results.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { readPlan } from "../engine/plan-file.js";
import { type CliIo, EXIT, type Output, parseCommandArgs, resolveIo, withUsage, writeLine } from "./args.js";
import { run as merge } from "./merge.js";
import { planForShards } from "./plan-shards.js";

export const usage = `Usage: mirrorbot shard-run [FILE] [options]

Plan a sync for shards (docs/sharding.md), run the seed, then every shard as a separate
"mirrorbot sync --plan" process at once, and merge their results into one. The same
plan, shards and result as the mirror workflow's matrix, on this machine.

Arguments:
  FILE                 the images file [app.imagesFile from the config, i.e. images.txt]

Options:
  -c, --config PATH    config file [.github/mirrorbot.yml if present]
      --shards N|auto  shards to split into [sharding.shards]
      --result PATH    write the merged result.json
      --summary PATH   append the Markdown summary (e.g. "$GITHUB_STEP_SUMMARY")
      --keep DIR       keep the plan and each shard's result in DIR [a temp dir, removed]
  -h, --help           show this help

Environment: as for "mirrorbot sync" (MIRRORBOT_IMAGES, MIRRORBOT_REQUEST, MIRRORBOT_FORCE).

Exit status: 0 all succeeded, 1 some failed, 2 usage, config or input error.`;

const options = {
  config: { type: "string", short: "c" },
  shards: { type: "string" },
  result: { type: "string" },
  summary: { type: "string" },
  keep: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The command line that starts a mirrorbot process: this node and the CLI beside this module. */
export function selfCommand(): [string, string] {
  return [process.execPath, fileURLToPath(new URL("./main.js", import.meta.url))];
}

/** Run `mirrorbot shard-run` with the arguments after "shard-run". */
export async function run(argv: string[], ioArg: Partial<CliIo> = {}, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = resolveIo(ioArg);
  return withUsage("shard-run", io, async () => {
    const { values, positionals } = parseCommandArgs(argv, options, 1);
    if (values.help) {
      writeLine(io.stdout, usage);
      return EXIT.ok;
    }
    const dir = values.keep ? resolve(io.cwd, values.keep) : await mkdtemp(join(tmpdir(), "mirrorbot-shards-"));
    try {
      const planFile = join(dir, "plan.json");
      const planned = await planForShards({ file: positionals[0], config: values.config, shards: values.shards, out: planFile, githubOutput: undefined, force: false }, io, env);
      if (planned !== EXIT.ok) return planned;
      const plan = await readPlan(planFile);
      const config = values.config === undefined ? [] : ["--config", resolve(io.cwd, values.config)];
      const part = (name: string) => ["sync", ...config, "--plan", planFile, "--shard", name, "--result", join(dir, `result-${name}.json`)];
      // The seed uploads the blobs the shards share; they mount them only once it is done.
      if (plan.seed.length > 0) await child(part("seed"), "seed", io, env);
      await Promise.all(plan.shards.map((_, k) => child(part(String(k)), `shard ${k}`, io, env)));
      const results = [...(plan.seed.length > 0 ? ["seed"] : []), ...plan.shards.map((_, k) => String(k))].map((name) => join(dir, `result-${name}.json`));
      const mergeArgs = ["--plan", planFile, ...config, "--out", resolve(io.cwd, values.result ?? join(dir, "result.json")), ...(values.summary ? ["--summary", resolve(io.cwd, values.summary)] : []), ...results];
      return await merge(mergeArgs, io, env);
    } finally {
      if (!values.keep) await rm(dir, { recursive: true, force: true });
    }
  });
}

/** Run one part as a child process, its output prefixed with the part's name; resolves to its exit code. */
function child(args: string[], name: string, io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const [node, main] = selfCommand();
  const proc = spawn(node, [main, ...args], { cwd: io.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const pipe = (from: NodeJS.ReadableStream, to: Output) => createInterface({ input: from }).on("line", (line) => writeLine(to, `[${name}] ${line}`));
  pipe(proc.stdout, io.stdout);
  pipe(proc.stderr, io.stderr);
  return new Promise((resolveCode) => {
    proc.on("error", (err) => {
      writeLine(io.stderr, `[${name}] could not start: ${err.message}`);
      resolveCode(EXIT.usage);
    });
    proc.on("close", (code) => resolveCode(code ?? EXIT.findings));
  });
}
