/**
 * What every `mirrorbot` command shares: injectable output streams (so tests call `run`
 * directly), exit codes, and `node:util` parseArgs with usage errors in one format.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { displayMessage } from "../domain/display.js";

/** 0: all good; 1: the input has findings or the work failed; 2: usage or config error. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

/** Anything lines can be written to: process.stdout, or a collector in tests. */
export interface Output {
  write(chunk: string): unknown;
}

/** Where a command writes and which directory relative paths start from. */
export interface CliIo {
  stdout: Output;
  stderr: Output;
  cwd: string;
}

/** A command module: main.ts dispatches to `run` with the arguments after the command name. */
export interface Command {
  run(argv: string[], io?: Partial<CliIo>): Promise<number>;
}

/** Fill in process streams and cwd for what a caller did not inject. */
export function resolveIo(io: Partial<CliIo> = {}): CliIo {
  return { stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr, cwd: io.cwd ?? process.cwd() };
}

/** Bad arguments; main prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * parseArgs in strict mode with at most `maxPositionals` positionals; throws UsageError with
 * node's message reduced to its first sentence ("Unknown option '--jsno'").
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, maxPositionals: number) {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const first = (message.split(". ")[0] ?? message).replace(/\.$/, "");
      throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1));
    }
  })();
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).map((p) => JSON.stringify(p)).join(" ");
    throw new UsageError(`unexpected argument${parsed.positionals.length - maxPositionals > 1 ? "s" : ""} ${extra}`);
  }
  return parsed;
}

/** Write one line (a newline is appended). */
export function writeLine(out: Output, line: string): void {
  out.write(`${line}\n`);
}

/**
 * Run a command body, turning UsageError into "mirrorbot CMD: message" plus a --help hint,
 * exit 2. Other errors propagate.
 */
export async function withUsage(command: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    writeLine(io.stderr, `mirrorbot ${command}: ${displayMessage(err.message)}`);
    writeLine(io.stderr, `Run "mirrorbot ${command} --help" for usage.`);
    return EXIT.usage;
  }
}
