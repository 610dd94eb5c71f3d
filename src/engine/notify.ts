import { createHmac } from "node:crypto";
import type { NotifyConfig } from "../domain/config.js";
import { httpRequest } from "./http.js";
import { redact } from "./redact.js";
import type { SyncResult, TaskResult } from "./result.js";
import { humanBytes, shortDigest } from "./summary.js";

export type NotifyType = NotifyConfig["type"];

export interface NotifyOptions {
  /** Where the `urlEnv` names are looked up; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Link to the workflow run, added to the message when known. */
  runUrl?: string | null;
  /** Per-webhook limit for the whole POST, response included. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Task lines in a chat message; the rest is counted, not listed. */
const MAX_TASK_LINES = 20;
/**
 * Message size limits, in UTF-8 bytes, a little under each platform's documented cap
 * (WeCom text 2048 bytes, Feishu request body 20 KB, DingTalk 20000, Slack 40000 characters).
 */
const TEXT_LIMIT: Readonly<Record<Exclude<NotifyType, "webhook">, number>> = {
  feishu: 18_000,
  dingtalk: 18_000,
  wecom: 2_000,
  slack: 35_000,
};

const ICON: Readonly<Record<TaskResult["status"], string>> = { copied: "✅", skipped: "⏭️", failed: "❌" };

/** The run link of the current GitHub Actions run, or null outside Actions. */
export function actionsRunUrl(env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : null;
}

function taskLine(task: TaskResult): string {
  const head = `${ICON[task.status]} ${task.source}${task.platform === null ? "" : ` [${task.platform}]`} -> ${task.target}`;
  if (task.status === "failed") return `${head}: ${(task.error ?? "failed without a reason").replace(/\s+/g, " ")}`;
  const digest = task.targetDigest ?? task.sourceDigest;
  return digest === null ? head : `${head} (${shortDigest(digest)})`;
}

/** Cut text to at most `maxBytes` of UTF-8 without splitting a character, marking the cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const mark = "\n…";
  let out = "";
  let used = Buffer.byteLength(mark);
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (used + size > maxBytes) break;
    out += ch;
    used += size;
  }
  return out + mark;
}

/**
 * The plain-text chat message: a headline (it starts with "mirrorbot", so a DingTalk keyword
 * of "mirrorbot" matches), failures first, then the other tasks, then the run link.
 */
export function notificationText(result: SyncResult, runUrl: string | null = null): string {
  const { total, copied, skipped, failed, bytes } = result.summary;
  const request = result.request === null ? "" : ` ${result.request}`;
  const verdict = failed > 0 ? `${failed} of ${total} failed` : `all ${total} ok`;
  const lines = [
    `mirrorbot sync${request}: ${verdict} (${copied} copied, ${skipped} skipped, ${failed} failed; ${humanBytes(bytes)} uploaded)`,
  ];
  const ordered = [...result.tasks.filter((t) => t.status === "failed"), ...result.tasks.filter((t) => t.status !== "failed")];
  for (const task of ordered.slice(0, MAX_TASK_LINES)) lines.push(taskLine(task));
  if (ordered.length > MAX_TASK_LINES) lines.push(`… and ${ordered.length - MAX_TASK_LINES} more`);
  if (runUrl) lines.push(runUrl);
  return lines.join("\n");
}

/**
 * The JSON body each platform's incoming webhook expects.
 * @example notificationPayload("slack", result) // { text: "mirrorbot sync: all 3 ok (...)\n..." }
 */
export function notificationPayload(type: NotifyType, result: SyncResult, runUrl: string | null = null): unknown {
  if (type === "webhook") {
    const { version, request, startedAt, finishedAt, summary } = result;
    return { version, request, startedAt, finishedAt, summary, failed: result.tasks.filter((t) => t.status === "failed"), runUrl };
  }
  return chatPayload(type, notificationText(result, runUrl));
}

/** A chat platform's text message: `message` defanged and cut to the platform's size limit. */
function chatPayload(type: Exclude<NotifyType, "webhook">, message: string): unknown {
  const text = truncateUtf8(defang(type, message), TEXT_LIMIT[type]);
  switch (type) {
    case "feishu":
      return { msg_type: "text", content: { text } };
    case "dingtalk":
    case "wecom":
      return { msgtype: "text", text: { content: text } };
    case "slack":
      return { text };
  }
}

/**
 * Error texts come from registries and requests; in chat they must not become mentions
 * (Slack's `<!channel>`, Feishu's `<at user_id="all">`). Slack takes HTML entities; the
 * others get a look-alike angle bracket, which reads the same and parses as nothing.
 */
export function defang(type: Exclude<NotifyType, "webhook">, text: string): string {
  // Every mention syntax opens with "<", so neutralizing it is enough; arrows ("->") stay.
  if (type === "slack") return text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return text.replace(/</g, "‹");
}

/** Pieces of a webhook URL that act as its credential: the URL itself, path segments, query values. */
function urlSecrets(url: URL): string[] {
  const parts = [url.href, url.pathname + url.search, ...url.pathname.split("/"), ...url.searchParams.values()];
  return parts.filter((p) => p.length >= 8);
}

/**
 * Chat platforms answer HTTP 200 with an error code in the body (Feishu `code`, DingTalk and
 * WeCom `errcode`); return that error, or null when the body says nothing is wrong.
 */
function bodyError(text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null) return null;
  const fields = body as Record<string, unknown>;
  const code = fields.code ?? fields.errcode ?? fields.StatusCode;
  if (typeof code !== "number" || code === 0) return null;
  const message = fields.msg ?? fields.errmsg ?? fields.StatusMessage;
  return typeof message === "string" ? `error ${code}: ${message.slice(0, 200)}` : `error ${code}`;
}

function failureReason(error: unknown, timeoutMs: number): string {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const name = (e: unknown): string | undefined => (e instanceof Error || e instanceof DOMException ? e.name : undefined);
  if (name(error) === "TimeoutError" || name(cause) === "TimeoutError") return `timed out after ${timeoutMs / 1000}s`;
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined;
  if (typeof code === "string") return code;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * A robot's signature (加签): DingTalk puts `timestamp` (ms) and `sign` in the query,
 * HMAC-SHA256 keyed with the secret over "timestamp\nsecret"; Feishu puts `timestamp` (s) and
 * `sign` in the body, HMAC-SHA256 keyed with "timestamp\nsecret" over nothing. Both base64.
 * @example signRequest("dingtalk", url, body, "SEC…", 1700000000000) // url gains ?timestamp=…&sign=…
 */
export function signRequest(type: NotifyType, url: URL, body: unknown, secret: string, nowMs: number = Date.now()): { url: URL; body: unknown } {
  if (type === "dingtalk") {
    const timestamp = String(nowMs);
    const sign = createHmac("sha256", secret).update(`${timestamp}\n${secret}`).digest("base64");
    const signed = new URL(url);
    signed.searchParams.set("timestamp", timestamp);
    signed.searchParams.set("sign", sign);
    return { url: signed, body };
  }
  if (type === "feishu") {
    const timestamp = String(Math.floor(nowMs / 1000));
    const sign = createHmac("sha256", `${timestamp}\n${secret}`).update("").digest("base64");
    return { url, body: { timestamp, sign, ...(body as object) } };
  }
  return { url, body };
}

async function send(entry: NotifyConfig, url: URL, body: unknown, timeoutMs: number): Promise<string | null> {
  try {
    // The registry client's transport: HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply to
    // webhooks exactly as to registries (global fetch ignores them).
    const response = await httpRequest(url.href, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", "user-agent": "mirrorbot" },
      body: JSON.stringify(body),
      timeoutMs,
      // A redirect would turn the POST into a GET somewhere else; treat it as a failure.
      followRedirects: false,
    });
    const text = await response.text();
    if (response.status < 200 || response.status > 299) return `HTTP ${response.status}`;
    return entry.type === "webhook" || entry.type === "slack" ? null : bodyError(text);
  } catch (error) {
    return failureReason(error, timeoutMs);
  }
}

/**
 * Send the configured notifications, all at once. Never throws and never fails the sync:
 * each problem comes back as a warning line that names the env var, never the URL.
 * @example await notify(result, [{ type: "feishu", urlEnv: "FEISHU_WEBHOOK", on: "failure" }])
 *   // ["notify feishu (FEISHU_WEBHOOK): HTTP 500"]
 */
export async function notify(result: SyncResult, entries: readonly NotifyConfig[], options: NotifyOptions = {}): Promise<string[]> {
  return deliver(entries, options, result.summary.failed > 0, (type, runUrl) => notificationPayload(type, result, runUrl));
}

/**
 * Tell every configured webhook (on: failure included) that a sync stopped before copying
 * anything, e.g. a registry secret the scheduled run needs is gone. Same guarantees as notify().
 * @example await notifyStopped("environment variable ALIYUN_PASSWORD is not set", null, entries)
 */
export async function notifyStopped(reason: string, request: string | null, entries: readonly NotifyConfig[], options: NotifyOptions = {}): Promise<string[]> {
  return deliver(entries, options, true, (type, runUrl) => {
    if (type === "webhook") return { version: 1, request, stopped: reason, runUrl };
    const lines = [`mirrorbot sync${request === null ? "" : ` ${request}`}: stopped before copying anything: ${reason}`, ...(runUrl ? [runUrl] : [])];
    return chatPayload(type, lines.join("\n"));
  });
}

async function deliver(
  entries: readonly NotifyConfig[],
  options: NotifyOptions,
  failed: boolean,
  payload: (type: NotifyType, runUrl: string | null) => unknown,
): Promise<string[]> {
  const env = options.env ?? process.env;
  const runUrl = options.runUrl === undefined ? actionsRunUrl(env) : options.runUrl;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const outcomes = await Promise.all(
    entries.map(async (entry): Promise<string | null> => {
      if (entry.on === "failure" && !failed) return null;
      const label = `notify ${entry.type} (${entry.urlEnv})`;
      const raw = env[entry.urlEnv];
      // Actions expands a missing secret to "", so empty means unset.
      if (raw === undefined || raw.trim() === "") return `${label}: not set; skipped`;
      const url = URL.canParse(raw.trim()) ? new URL(raw.trim()) : null;
      if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) return `${label}: not an http(s) URL; skipped`;
      let request = { url, body: payload(entry.type, runUrl) };
      const secret = entry.secretEnv === undefined ? undefined : env[entry.secretEnv]?.trim();
      if (entry.secretEnv !== undefined) {
        // A robot set up with signing refuses unsigned messages: say which secret is missing.
        if (!secret) return `${label}: ${entry.secretEnv} (secretEnv) not set; skipped`;
        request = signRequest(entry.type, url, request.body, secret);
      }
      const problem = await send(entry, request.url, request.body, timeoutMs);
      return problem === null ? null : `${label}: ${redact(problem, [raw, raw.trim(), ...urlSecrets(url), ...(secret ? [secret] : [])])}`;
    }),
  );
  return outcomes.filter((w): w is string => w !== null);
}
