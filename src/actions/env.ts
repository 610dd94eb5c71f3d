/**
 * What the Actions runner hands a step: the event, the API and the token, as environment
 * variables. Validated here, once; the rest of the adapter trusts the result.
 */
import { z } from "zod";

/** The runner's variables the adapter reads (GitHub sets all but GITHUB_TOKEN itself). */
export const actionEnvSchema = z.object({
  GITHUB_TOKEN: z.string().min(1).describe("the workflow token; it authenticates every API call and is never printed"),
  GITHUB_EVENT_NAME: z.string().regex(/^[a-z_]+$/, "is not an event name").describe('the event that started the run, e.g. "issue_comment"'),
  GITHUB_EVENT_PATH: z.string().min(1, "is not set").describe("path of the JSON file holding the event payload"),
  GITHUB_API_URL: z
    .url({ protocol: /^https?$/, error: "is not an http(s) URL" })
    .default("https://api.github.com")
    .describe("REST API base; https://HOST/api/v3 on GitHub Enterprise Server"),
  GITHUB_SERVER_URL: z.url({ protocol: /^https?$/ }).default("https://github.com").describe("web base URL, for links to runs"),
  GITHUB_REPOSITORY: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'is not "owner/name"').optional().describe('"owner/name" of the repository'),
  GITHUB_RUN_ID: z.string().regex(/^\d+$/, "is not a run id").describe("id of the current workflow run"),
  GITHUB_RUN_ATTEMPT: z.string().regex(/^\d+$/).default("1").describe("attempt number of the run, 1 unless re-run"),
  GITHUB_WORKFLOW_REF: z.string().optional().describe('"owner/name/.github/workflows/file.yml@ref" of the running workflow'),
  GITHUB_STEP_SUMMARY: z.string().optional().describe("path of the file whose Markdown becomes the step's summary on the run page"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional().describe("log level; debug when the run has debug logging on"),
  RUNNER_DEBUG: z.string().optional().describe('"1" when the run was started with debug logging'),
  MIRRORBOT_RUN_CONCLUSION: z
    .enum(["success", "failure", "cancelled", "skipped", "timed_out"])
    .optional()
    .describe("report-run only: the result of the mirror job (`needs.mirror.result`)"),
});

/** The validated runner environment. */
export type ActionEnv = z.infer<typeof actionEnvSchema>;

/** The environment is missing something or holds a malformed value; the message names it. */
export class ActionEnvError extends Error {}

/**
 * Read and validate the runner's variables. The message of the error names each bad
 * variable, never its value (one of them is the token).
 */
export function readActionEnv(env: Readonly<Record<string, string | undefined>>): ActionEnv {
  // An empty variable means unset: the runner and `env:` blocks both produce "" for missing values.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = actionEnvSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const name = i.path.join(".");
    if (i.code !== "invalid_type") return `${name} ${i.message}`;
    return name === "GITHUB_TOKEN" ? "GITHUB_TOKEN is not set (give the step `env: GITHUB_TOKEN: ${{ github.token }}`)" : `${name} is not set`;
  });
  throw new ActionEnvError(`the Actions environment is incomplete: ${problems.join("; ")}`);
}

/** The log level: LOG_LEVEL, else debug when the run has debug logging on, else info. */
export function logLevel(env: ActionEnv): NonNullable<ActionEnv["LOG_LEVEL"]> {
  return env.LOG_LEVEL ?? (env.RUNNER_DEBUG === "1" ? "debug" : "info");
}
