/**
 * Logging in a workflow step: pino JSON lines on stdout, so the Actions log stays structured
 * and no logged value can start a line with `::` (a workflow command). Every line passes
 * through a filter that blanks the token, whatever put it there.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import { redact } from "../engine/redact.js";

/** Where log lines go: process.stdout in a run, a buffer in tests. */
export interface LineSink {
  write(chunk: string): unknown;
}

/** The strings to blank out for `token`: itself and the basic-auth form git would send. */
export function tokenForms(token: string): string[] {
  return [token, Buffer.from(`x-access-token:${token}`).toString("base64")];
}

/** A sink that replaces each of `secrets` with `***` before writing. */
export function redactingSink(out: LineSink, secrets: readonly string[]): DestinationStream {
  return { write: (line: string) => void out.write(redact(line, secrets)) };
}

/** A JSON logger at `level` writing to `out`, with `secrets` blanked from every line. */
export function createActionLogger(options: { level: string; out: LineSink; secrets: readonly string[] }): Logger {
  return pino(
    {
      level: options.level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: "msg",
      // "info" reads better than 30 in the Actions log.
      formatters: { level: (label) => ({ level: label }) },
    },
    redactingSink(options.out, options.secrets),
  );
}

/**
 * An `::error` workflow command that shows `message` as an annotation on the run. The
 * message is escaped so a newline in it cannot start a second command.
 * @example errorCommand("50% done\nnext") // "::error title=mirrorbot::50%25 done%0Anext"
 */
export function errorCommand(message: string): string {
  const data = message.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
  return `::error title=mirrorbot::${data}`;
}
