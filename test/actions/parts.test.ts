/** The adapter's small parts: the environment check, event names, the log filter, annotations. */
import { describe, expect, it } from "vitest";
import { ActionEnvError, logLevel, readActionEnv } from "../../src/actions/env.js";
import { appEventName, workflowPath } from "../../src/actions/event.js";
import { createActionLogger, errorCommand, tokenForms } from "../../src/actions/log.js";

const base = { GITHUB_TOKEN: "ghs_0123456789abcdef", GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: "/tmp/event.json", GITHUB_RUN_ID: "42" };

describe("readActionEnv", () => {
  it("fills the runner's defaults", () => {
    expect(readActionEnv(base)).toMatchObject({ GITHUB_API_URL: "https://api.github.com", GITHUB_SERVER_URL: "https://github.com", GITHUB_RUN_ATTEMPT: "1" });
  });

  it("names every problem at once and never the values", () => {
    const attempt = () => readActionEnv({ GITHUB_TOKEN: "ghs_0123456789abcdef", GITHUB_EVENT_NAME: "Issues!", GITHUB_API_URL: "ftp://ghs_0123456789abcdef", GITHUB_RUN_ID: "" });
    expect(attempt).toThrow(ActionEnvError);
    expect(attempt).toThrow(
      "the Actions environment is incomplete: GITHUB_EVENT_NAME is not an event name; GITHUB_EVENT_PATH is not set; GITHUB_API_URL is not an http(s) URL; GITHUB_RUN_ID is not set",
    );
  });

  it("logs at debug when the run has debug logging on, unless LOG_LEVEL says otherwise", () => {
    expect(logLevel(readActionEnv(base))).toBe("info");
    expect(logLevel(readActionEnv({ ...base, RUNNER_DEBUG: "1" }))).toBe("debug");
    expect(logLevel(readActionEnv({ ...base, RUNNER_DEBUG: "1", LOG_LEVEL: "warn" }))).toBe("warn");
  });
});

describe("event names", () => {
  it("delivers pull_request_target as pull_request and every other event as itself", () => {
    expect(appEventName("pull_request_target")).toBe("pull_request");
    expect(appEventName("issue_comment")).toBe("issue_comment");
    expect(appEventName("workflow_run")).toBe("workflow_run");
  });

  it("finds the workflow file in GITHUB_WORKFLOW_REF", () => {
    expect(workflowPath("octo/mirror/.github/workflows/mirror.yml@refs/heads/main")).toBe(".github/workflows/mirror.yml");
    expect(workflowPath("octo/mirror/.github/workflows/mirror.yml@refs/heads/feature@2")).toBe(".github/workflows/mirror.yml");
    expect(() => workflowPath(undefined)).toThrow("GITHUB_WORKFLOW_REF does not name a workflow file");
  });
});

describe("logging", () => {
  it("writes one JSON object per line with the level as a word, and blanks the token in every form", () => {
    let out = "";
    const token = "ghs_0123456789abcdef";
    const log = createActionLogger({ level: "info", out: { write: (s: string) => (out += s) }, secrets: tokenForms(token) });
    log.info({ header: `token ${token}`, basic: Buffer.from(`x-access-token:${token}`).toString("base64") }, `using ${token}`);
    log.debug("hidden");
    const lines = out.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", header: "token ***", basic: "***", msg: "using ***" });
  });

  it("keeps an error annotation on one line whatever the message holds", () => {
    expect(errorCommand("50% done\r\n::warning::injected")).toBe("::error title=mirrorbot::50%25 done%0D%0A::warning::injected");
  });
});
