/**
 * `mirrorbot schema`: print the JSON Schema of `.github/mirrorbot.yml`, the same text as
 * docs/mirrorbot.schema.json, e.g. for `# yaml-language-server: $schema=...`.
 */
import { configJsonSchema } from "../domain/config.js";
import { type CliIo, EXIT, parseCommandArgs, resolveIo, withUsage, writeLine } from "./args.js";

export const usage = `Usage: mirrorbot schema

Print the JSON Schema (draft-07) of .github/mirrorbot.yml, for editors.

Options:
  -h, --help  show this help`;

/** The schema file's exact text: two-space JSON and a final newline. */
export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/** Run `mirrorbot schema` with the arguments after "schema". */
export async function run(argv: string[], ioArg: Partial<CliIo> = {}): Promise<number> {
  const io = resolveIo(ioArg);
  return withUsage("schema", io, async () => {
    const { values } = parseCommandArgs(argv, { help: { type: "boolean", short: "h" } }, 0);
    if (values.help) writeLine(io.stdout, usage);
    else io.stdout.write(schemaText());
    return EXIT.ok;
  });
}
