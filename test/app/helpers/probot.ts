/**
 * A Probot for tests: a private key generated at test time (never committed), Octokit's
 * retry and throttling off, a logger that records what handlers log, and app dependencies
 * with no waiting.
 */
import { generateKeyPairSync } from "node:crypto";
import { Probot, ProbotOctokit, type Logger } from "probot";
import { createApp } from "../../../src/app/app.js";
import type { AppDeps } from "../../../src/app/env.js";
import type { RequestLimiter } from "../../../src/app/rate-limit.js";

export const API = "https://api.github.com";
export const WEBHOOK_SECRET = "test-webhook-secret";

let key: string | null = null;

/** An RSA 2048 private key in PEM, made once per test file. */
export function testPrivateKey(): string {
  key ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return key;
}

/** One log call: its level, merged bindings and object, and message. */
export interface LogRecord {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

/** A pino-shaped logger that keeps records in memory. */
export function recordingLogger(records: LogRecord[], bindings: Record<string, unknown> = {}): Logger {
  const write =
    (level: string) =>
    (objOrMsg?: unknown, msg?: string): void => {
      const fields = typeof objOrMsg === "object" && objOrMsg !== null ? (objOrMsg as Record<string, unknown>) : {};
      const text = typeof objOrMsg === "string" ? objOrMsg : (msg ?? "");
      records.push({ level, fields: { ...bindings, ...fields }, msg: text });
    };
  const logger = {
    level: "trace",
    trace: write("trace"),
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    fatal: write("fatal"),
    silent: () => {},
    child: (more: Record<string, unknown>) => recordingLogger(records, { ...bindings, ...more }),
    isLevelEnabled: () => true,
  };
  return logger as unknown as Logger;
}

/** A limiter that allows every request without an API call; tests of the limit pass `githubLimiter()`. */
export const UNLIMITED: RequestLimiter = { judge: async () => ({ allowed: true, retryAfterMs: 0 }) };

/** Dependencies for tests: no sleeping, a fixed clock, no hourly limit (see UNLIMITED). */
export function testDeps(overrides: Partial<AppDeps> = {}): Partial<AppDeps> {
  return {
    sleep: async () => {},
    now: () => Date.parse("2026-03-01T10:00:00Z"),
    rateLimits: UNLIMITED,
    runSearch: { attempts: 3, intervalMs: 0 },
    commitAttempts: 4,
    ...overrides,
  };
}

/** A Probot with the app (or `appFn`) loaded; `logs` collects every record. */
export async function testProbot(
  deps: Partial<AppDeps> = testDeps(),
  appFn: (probot: Probot) => void = createApp(deps),
): Promise<{ probot: Probot; logs: LogRecord[] }> {
  const logs: LogRecord[] = [];
  const probot = new Probot({
    appId: 123,
    privateKey: testPrivateKey(),
    secret: WEBHOOK_SECRET,
    log: recordingLogger(logs),
    Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
  });
  await probot.load(appFn);
  return { probot, logs };
}
