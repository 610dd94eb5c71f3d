/**
 * The state of one request, carried as JSON in an HTML comment inside its status comment, so
 * the app needs no database: a later event (a result, `/retry`, `/approve`, a merge) reads it
 * back from the issue. It is read back only from comments that start with the request's
 * marker and were written by the app itself (github/status-comment.ts), and it is validated
 * here; the image lines in it are validated again before anything is dispatched.
 */
import { z } from "zod";

/** Where a request stands. */
export const requestStatusSchema = z
  .enum(["rejected", "limited", "awaiting-approval", "received", "queued", "done", "failed", "superseded"])
  .describe(
    "rejected: invalid, nothing done; limited: over the hourly limit; awaiting-approval: a bot pull request waits for a maintainer; received: accepted, being recorded and dispatched (not dispatched yet); queued: dispatched; done: every image copied; failed: some image failed or the run failed; superseded: failed, and a later request (a /retry) mirrored every line that failed",
  );

/** The state JSON in a status comment. */
export const requestStateSchema = z
  .object({
    version: z.literal(1).describe("version of this state format"),
    request: z.string().regex(/^\d+-[A-Za-z0-9]+$/).describe('request id, "<issue>-<id>"'),
    issue: z.number().int().positive().describe("number of the issue or pull request the request lives on"),
    kind: z.enum(["issue", "pull"]).describe("whether that number is an issue or a pull request (never closed)"),
    status: requestStatusSchema,
    requester: z
      .object({
        login: z.string().describe("GitHub login of the person who asked"),
        id: z.number().int().positive().describe("their user id, for the Co-authored-by trailer"),
      })
      .describe("who asked"),
    images: z.array(z.string()).describe("the request's lines in images.txt syntax, re-serialized from parsed entries"),
    force: z.boolean().describe("copy even when digests match"),
    pr: z.number().int().positive().nullable().describe("the bot pull request awaiting approval, if any"),
    commit: z.string().nullable().describe("sha of the commit that recorded the lines, if one was needed"),
    run: z
      .object({ id: z.number().int().positive().describe("run id"), url: z.string().describe("web URL of the run") })
      .nullable()
      .describe("the dispatched workflow run, once known"),
    failed: z.array(z.string()).describe("lines that failed in the last run, for /retry"),
  })
  .describe("state of one mirror request");

export type RequestStatus = z.infer<typeof requestStatusSchema>;
export type RequestState = z.infer<typeof requestStateSchema>;

const STATE_RE = /<!-- mirrorbot:state (\{.*?\}) -->/;

/** How every status comment starts: the first characters of its marker. */
export const MARKER_PREFIX = "<!-- mirrorbot:request ";

/** The hidden line that identifies a request's status comment. */
export function requestMarker(request: string): string {
  return `${MARKER_PREFIX}${request} -->`;
}

/**
 * The hidden line carrying the state. `<`, `>` and `&` are escaped inside the JSON so no
 * value can close the HTML comment early.
 */
export function stateComment(state: RequestState): string {
  const json = JSON.stringify(state).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `<!-- mirrorbot:state ${json} -->`;
}

/**
 * The state in a comment body, or null when the body does not start with the request's
 * marker (a quote or a paste inside other text never counts) or the state does not validate.
 */
export function readState(body: string): RequestState | null {
  if (!body.startsWith(MARKER_PREFIX)) return null;
  const match = STATE_RE.exec(body);
  if (!match) return null;
  try {
    const parsed = requestStateSchema.safeParse(JSON.parse(match[1]!));
    return parsed.success && body.startsWith(requestMarker(parsed.data.request)) ? parsed.data : null;
  } catch {
    return null;
  }
}
