/**
 * `mirrorbot init`: write `.github/mirrorbot.yml` for one target registry, check the login
 * against it without writing anything, and say which secrets to set. Interactive in a
 * terminal (node:readline), flags for scripts. Exit 0 when written (and the login, when it
 * could be checked, works), 1 when the registry refused the login, 2 for usage errors or a
 * file that exists already.
 */
import { readFile, mkdir, writeFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Readable } from "node:stream";
import { ConfigError, DEFAULT_CONFIG_PATH, parseConfig, type TargetConfig } from "../domain/config.js";
import { shown } from "../domain/display.js";
import { RegistryClient, RegistryError } from "../engine/registry-client.js";
import { type CliIo, EXIT, parseCommandArgs, resolveIo, UsageError, withUsage, writeLine } from "./args.js";
import { findPreset, type Preset, PRESETS, WORKFLOW_MAPPED_ENV } from "./presets.js";

export const usage = `Usage: mirrorbot init [options]

Write ${DEFAULT_CONFIG_PATH} for one target registry, check the login against it (no
writes: a token for push access, or the registry's /v2/ ping), and print the secrets to
set. Asks for what the flags do not give when run in a terminal.

Options:
      --preset ID          ${PRESETS.map((p) => p.id).join(", ")}
      --registry HOST      registry host[:port] [the preset's, when it has one]
      --namespace PATH     where the images go under the registry
      --username-env NAME  variable holding the user name [the preset's]
      --password-env NAME  variable holding the password or token [the preset's]
      --name NAME          short target name for logs and replies [the preset id]
      --insecure           plain http and no TLS verification (a registry on localhost)
      --repo OWNER/REPO    the fork the secrets go to, for the gh secret set lines
  -c, --config PATH        file to write [${DEFAULT_CONFIG_PATH}]
  -y, --yes                ask nothing; take defaults for what the flags do not give
  -f, --force              overwrite an existing file
      --no-check           do not contact the registry
  -h, --help               show this help

Exit status: 0 written, 1 written but the registry refused the login, 2 usage error or
the file exists.`;

const options = {
  preset: { type: "string" },
  registry: { type: "string" },
  namespace: { type: "string" },
  "username-env": { type: "string" },
  "password-env": { type: "string" },
  name: { type: "string" },
  insecure: { type: "boolean" },
  repo: { type: "string" },
  config: { type: "string", short: "c" },
  yes: { type: "boolean", short: "y" },
  force: { type: "boolean", short: "f" },
  "no-check": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Where answers come from: a terminal, or nothing (scripts and CI). */
export interface InitInput {
  stdin: Readable;
  interactive: boolean;
}

/** The answers `init` writes. */
interface Answers {
  preset: Preset;
  name: string;
  registry: string;
  namespace: string;
  usernameEnv: string;
  passwordEnv: string;
  insecure: boolean;
}

/** Run `mirrorbot init` with the arguments after "init". */
export async function run(
  argv: string[],
  ioArg: Partial<CliIo> = {},
  env: NodeJS.ProcessEnv = process.env,
  input: InitInput = { stdin: process.stdin, interactive: process.stdin.isTTY === true && process.stdout.isTTY === true },
): Promise<number> {
  const io = resolveIo(ioArg);
  return withUsage("init", io, async () => {
    const { values } = parseCommandArgs(argv, options, 0);
    if (values.help) {
      writeLine(io.stdout, usage);
      return EXIT.ok;
    }
    const file = values.config ?? DEFAULT_CONFIG_PATH;
    if (file === "") throw new UsageError("--config needs a path");
    const path = resolve(io.cwd, file);
    const ask = input.interactive && values.yes !== true ? asker(input.stdin, io) : null;
    try {
      if ((await exists(path)) && values.force !== true) {
        const overwrite = ask ? /^y(es)?$/i.test(await ask(`${file} exists. Overwrite it? [y/N]`, "N")) : false;
        if (!overwrite) {
          writeLine(io.stderr, `mirrorbot init: ${file} exists; pass --force to overwrite it`);
          return EXIT.usage;
        }
      }
      const answers = await collect(values, ask);
      const text = configText(answers);
      // The file must be one the loader accepts; a wrong answer is caught here, before writing.
      const target = checkedTarget(text, file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
      writeLine(io.stdout, `Wrote ${relative(io.cwd, path) || file}: target "${target.name}", ${target.registry}/${target.namespace}${target.namespace ? "/" : ""}... (${target.naming.style} naming)`);
      const login = values["no-check"] === true ? "skipped" : await checkLogin(target, answers, env, io);
      printSecrets(answers, values.repo ?? (await originRepo(io.cwd)), io);
      writeLine(io.stdout, "");
      writeLine(io.stdout, `Next: list images in images.txt (echo nginx:1.26 >> images.txt), then run npx mirrorbot plan and npx mirrorbot sync.`);
      return login === "refused" ? EXIT.findings : EXIT.ok;
    } finally {
      ask?.close();
    }
  });
}

type Ask = ((question: string, fallback: string) => Promise<string>) & { close(): void };

/** A question on stderr (stdout stays for results), answered on stdin; Enter takes the default. */
function asker(stdin: Readable, io: CliIo): Ask {
  const rl = createInterface({ input: stdin, output: io.stderr as NodeJS.WritableStream, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string, fallback: string): Promise<string> => {
    io.stderr.write(`${question}${fallback && !question.endsWith("]") ? ` [${fallback}]` : ""}: `);
    const next = await lines.next();
    if (next.done) throw new UsageError("input ended before every question was answered");
    const answer = String(next.value).trim();
    return answer === "" ? fallback : answer;
  };
  return Object.assign(ask, { close: () => rl.close() });
}

/** Flags first; then questions in a terminal; else the preset's defaults, or a usage error. */
async function collect(values: { [K in keyof typeof options]?: string | boolean }, ask: Ask | null): Promise<Answers> {
  const flag = (name: keyof typeof options) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  let presetId = flag("preset");
  if (presetId === undefined && ask) {
    const list = PRESETS.map((p, i) => `  ${i + 1}. ${p.id.padEnd(15)} ${p.label}`).join("\n");
    const answer = await ask(`Target registry:\n${list}\nNumber or id`, "1");
    presetId = /^\d+$/.test(answer) ? PRESETS[Number(answer) - 1]?.id ?? answer : answer;
  }
  if (presetId === undefined) throw new UsageError(`--preset is needed: one of ${PRESETS.map((p) => p.id).join(", ")}`);
  const preset = findPreset(presetId);
  if (!preset) throw new UsageError(`unknown preset ${JSON.stringify(shown(presetId))}; one of ${PRESETS.map((p) => p.id).join(", ")}`);

  const value = async (name: keyof typeof options, question: string, fallback: string | null): Promise<string> => {
    const given = flag(name);
    if (given !== undefined) return given;
    if (ask) return ask(question, fallback ?? "");
    if (fallback !== null) return fallback;
    throw new UsageError(`--${name} is needed for ${preset.label}, e.g. --${name} ${name === "registry" ? preset.example : "mymirror"}`);
  };
  const registry = await value("registry", `Registry host (e.g. ${preset.example})`, preset.registry);
  const namespace = await value("namespace", `Namespace: ${preset.namespaceHint}`, preset.id === "azure" ? "" : null);
  const usernameEnv = await value("username-env", "Variable holding the user name", preset.usernameEnv);
  const passwordEnv = await value("password-env", "Variable holding the password or token", preset.passwordEnv);
  return { preset, name: flag("name") ?? preset.id, registry, namespace, usernameEnv, passwordEnv, insecure: values.insecure === true };
}

/** The config file: the schema modeline, where it came from, and one target. */
export function configText(a: Answers): string {
  return [
    "# yaml-language-server: $schema=../docs/mirrorbot.schema.json",
    `# Written by \`mirrorbot init\` for ${a.preset.label}. Every key: docs/config.md`,
    "targets:",
    `  - name: ${JSON.stringify(a.name)}`,
    `    registry: ${JSON.stringify(a.registry)}`,
    `    namespace: ${JSON.stringify(a.namespace)}`,
    `    naming: { style: ${a.preset.style} }`,
    ...(a.insecure ? ["    tlsVerify: false"] : []),
    `    credentials: { usernameEnv: ${JSON.stringify(a.usernameEnv)}, passwordEnv: ${JSON.stringify(a.passwordEnv)} }`,
    "",
  ].join("\n");
}

/** The one target of the text, validated as the loader would; a bad answer is a usage error. */
function checkedTarget(text: string, file: string): TargetConfig {
  try {
    return parseConfig(text, file).targets[0]!;
  } catch (err) {
    if (err instanceof ConfigError) {
      const issues = err.issues.map((i) => i.replace(/^targets\[0\]\./, ""));
      throw new UsageError(`nothing written: ${issues.join("; ")}`);
    }
    throw err;
  }
}

/** Ask the registry whether the login works, without writing. */
async function checkLogin(target: TargetConfig, a: Answers, env: NodeJS.ProcessEnv, io: CliIo): Promise<"ok" | "refused" | "skipped"> {
  const username = env[a.usernameEnv];
  const password = env[a.passwordEnv];
  if (!username || !password) {
    writeLine(io.stdout, `Login not checked: set ${a.usernameEnv} and ${a.passwordEnv} in this shell (read -rs ${a.passwordEnv}; export ${a.passwordEnv}) and run init again to check it.`);
    return "skipped";
  }
  const client = new RegistryClient({ registry: target.registry, tlsVerify: target.tlsVerify, credentials: { username, password }, userAgent: "mirrorbot-init" });
  const repo = [target.namespace, "mirrorbot-login-check"].filter(Boolean).join("/");
  try {
    await client.checkLogin(repo.toLowerCase());
    writeLine(io.stdout, `Login to ${target.registry} as ${shown(username, 60)}: ok (checked without writing anything).`);
    return "ok";
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    if (err.status === 401 || err.status === 403) {
      writeLine(io.stderr, `mirrorbot init: the registry refused the login: ${err.message} (check ${a.usernameEnv}/${a.passwordEnv})`);
      return "refused";
    }
    writeLine(io.stdout, `Login not checked: ${err.message}`);
    return "skipped";
  }
}

/** The secrets to create, and `gh secret set` lines (gh asks for each value; none is printed). */
function printSecrets(a: Answers, repo: string | null, io: CliIo): void {
  const out = (line: string) => writeLine(io.stdout, line);
  out("");
  if (a.preset.filledByWorkflow && a.usernameEnv === a.preset.usernameEnv && a.passwordEnv === a.preset.passwordEnv) {
    out(`Secrets: none to create for the workflow: it fills ${a.usernameEnv} and ${a.passwordEnv} from its own GITHUB_TOKEN.`);
    out(`For the CLI, export ${a.usernameEnv} (${a.preset.usernameHelp}) and ${a.passwordEnv} (${a.preset.passwordHelp}).`);
    return;
  }
  out("Secrets to set (Settings -> Secrets and variables -> Actions; the values never go in the file):");
  out(`  ${a.usernameEnv}  ${a.preset.usernameHelp}`);
  out(`  ${a.passwordEnv}  ${a.preset.passwordHelp}`);
  out(`With the GitHub CLI (it asks for each value):`);
  for (const name of [a.usernameEnv, a.passwordEnv]) out(`  gh secret set ${name} --repo ${repo ?? "OWNER/REPO"}`);
  const unmapped = [a.usernameEnv, a.passwordEnv].filter((n) => !WORKFLOW_MAPPED_ENV.has(n));
  if (unmapped.length > 0) {
    out(`Add ${unmapped.map((n) => `${n}: \${{ secrets.${n} }}`).join(" and ")} to the env: of the Sync step in .github/workflows/mirror.yml.`);
  }
  out(`More about ${a.preset.label}: docs/registries.md#${a.preset.doc}`);
}

/** OWNER/REPO of the origin remote when it is on github.com; null when unknown. */
async function originRepo(cwd: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, ".git/config"), "utf8");
  } catch {
    return null;
  }
  const origin = /\[remote "origin"\][^[]*?url\s*=\s*(\S+)/.exec(text)?.[1] ?? "";
  return /github\.com[:/]([A-Za-z0-9-]+\/[A-Za-z0-9._-]+?)(?:\.git)?\/?$/.exec(origin)?.[1] ?? null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}
