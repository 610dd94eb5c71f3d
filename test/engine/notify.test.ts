import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { NotifyConfig } from "../../src/domain/config.js";
import { notificationText, notify, notifyStopped, signRequest, truncateUtf8 } from "../../src/engine/notify.js";
import { startForwardProxy } from "../harness/forward-proxy.js";
import { notFoundTask, syncResult, taskResult } from "./helpers/results.js";

const TOKEN = "tok3n-5ecret-abcdef";

const A_DIGEST = `sha256:${"a".repeat(64)}`;
/** 1.0 MB uploaded with an all-"a" digest: the figures the message expectations below name. */
const copiedTask = taskResult({ sourceDigest: A_DIGEST, targetDigest: A_DIGEST, size: 1_000_000, bytes: 1_000_000, durationMs: 10 });
const failedTask = notFoundTask({ durationMs: 10 });
const withFailure = syncResult([copiedTask, failedTask], "7-99");
const allGood = syncResult([copiedTask], "7-99");

interface Hit {
  path: string;
  contentType: string | undefined;
  body: unknown;
}
const hits: Hit[] = [];
/** Path -> how to answer; an absent path answers 200 "ok". */
const answers = new Map<string, (res: ServerResponse) => void>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "";
      hits.push({ path, contentType: req.headers["content-type"], body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      const answer = answers.get(path.split("?")[0] ?? "");
      if (answer) answer(res);
      else res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  hits.length = 0;
  answers.clear();
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const entry = (type: NotifyConfig["type"], urlEnv: string, on: NotifyConfig["on"] = "failure"): NotifyConfig => ({ type, urlEnv, on });

describe("notify payloads", () => {
  it("posts each platform's JSON shape", async () => {
    const env = {
      FEISHU_WEBHOOK: `${base}/feishu/${TOKEN}`,
      DINGTALK_WEBHOOK: `${base}/dingtalk?access_token=${TOKEN}`,
      WECOM_WEBHOOK: `${base}/wecom?key=${TOKEN}`,
      SLACK_WEBHOOK: `${base}/slack/${TOKEN}`,
      MIRRORBOT_WEBHOOK: `${base}/generic`,
    };
    const warnings = await notify(
      withFailure,
      [
        entry("feishu", "FEISHU_WEBHOOK"),
        entry("dingtalk", "DINGTALK_WEBHOOK"),
        entry("wecom", "WECOM_WEBHOOK"),
        entry("slack", "SLACK_WEBHOOK"),
        entry("webhook", "MIRRORBOT_WEBHOOK"),
      ],
      { env, runUrl: "https://github.com/o/r/actions/runs/1" },
    );
    expect(warnings).toEqual([]);
    const text = notificationText(withFailure, "https://github.com/o/r/actions/runs/1");
    const byPath = Object.fromEntries(hits.map((h) => [h.path.split(/[/?]/)[1], h]));
    expect(byPath.feishu?.body).toEqual({ msg_type: "text", content: { text } });
    expect(byPath.dingtalk?.body).toEqual({ msgtype: "text", text: { content: text } });
    expect(byPath.wecom?.body).toEqual({ msgtype: "text", text: { content: text } });
    expect(byPath.slack?.body).toEqual({ text });
    expect(byPath.generic?.body).toEqual({
      version: 1,
      request: "7-99",
      startedAt: withFailure.startedAt,
      finishedAt: withFailure.finishedAt,
      summary: withFailure.summary,
      failed: [failedTask],
      runUrl: "https://github.com/o/r/actions/runs/1",
    });
    expect(hits.every((h) => h.contentType?.startsWith("application/json"))).toBe(true);
  });

  it("writes a message a person can act on: failures first, then the rest, then the run link", () => {
    expect(notificationText(withFailure, "https://github.com/o/r/actions/runs/1")).toBe(
      [
        "mirrorbot sync 7-99: 1 of 2 failed (1 copied, 0 skipped, 1 failed; 1.0 MB uploaded)",
        "❌ docker.io/library/ngnix:1.26 -> registry.example.com/mirror/ngnix:1.26: source not found: docker.io/library/ngnix:1.26",
        "✅ docker.io/library/nginx:1.26 -> registry.example.com/mirror/nginx:1.26 (sha256:aaaaaaaaaaaa)",
        "https://github.com/o/r/actions/runs/1",
      ].join("\n"),
    );
  });

  it("keeps a WeCom message under its 2048-byte limit however many images failed", async () => {
    const many = syncResult(
      Array.from({ length: 200 }, (_, i) => ({ ...failedTask, error: `失败 ${i} ${"x".repeat(100)}` })),
      "7-99",
    );
    await notify(many, [entry("wecom", "W")], { env: { W: `${base}/wecom` } });
    const content = (hits[0]?.body as { text: { content: string } }).text.content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(2048);
    expect(content.startsWith("mirrorbot sync 7-99: 200 of 200 failed")).toBe(true);
  });

  it("cuts UTF-8 text on a character boundary", () => {
    expect(truncateUtf8("ééé", 6)).toBe("ééé");
    // "é" is 2 bytes and the "\n…" mark 4, so only one "é" fits in 6.
    expect(truncateUtf8("éééé", 6)).toBe("é\n…");
  });
});

describe("notifyStopped", () => {
  it("tells every webhook, on: failure included, that the sync stopped before copying anything", async () => {
    const env = { S: `${base}/s`, W: `${base}/w` };
    const warnings = await notifyStopped('targets[0] "acr": environment variable ACR_PASS (credentials.passwordEnv) is not set', "7-99", [entry("slack", "S"), entry("webhook", "W", "always")], {
      env,
      runUrl: "https://github.com/o/r/actions/runs/1",
    });
    expect(warnings).toEqual([]);
    expect(hits.map((h) => [h.path, h.body]).sort()).toEqual([
      ["/s", { text: 'mirrorbot sync 7-99: stopped before copying anything: targets[0] "acr": environment variable ACR_PASS (credentials.passwordEnv) is not set\nhttps://github.com/o/r/actions/runs/1' }],
      ["/w", { version: 1, request: "7-99", stopped: 'targets[0] "acr": environment variable ACR_PASS (credentials.passwordEnv) is not set', runUrl: "https://github.com/o/r/actions/runs/1" }],
    ]);
  });
});

describe("notify conditions and failures", () => {
  it("sends on: failure only when something failed, and on: always every time", async () => {
    const env = { A: `${base}/a`, B: `${base}/b` };
    const entries = [entry("slack", "A", "failure"), entry("slack", "B", "always")];
    expect(await notify(allGood, entries, { env })).toEqual([]);
    expect(hits.map((h) => h.path)).toEqual(["/b"]);
    hits.length = 0;
    expect(await notify(withFailure, entries, { env })).toEqual([]);
    expect(hits.map((h) => h.path).sort()).toEqual(["/a", "/b"]);
  });

  it("warns about an unset or empty variable instead of failing", async () => {
    const warnings = await notify(withFailure, [entry("feishu", "FEISHU_WEBHOOK"), entry("slack", "SLACK_WEBHOOK")], {
      env: { SLACK_WEBHOOK: "" },
    });
    expect(warnings).toEqual([
      "notify feishu (FEISHU_WEBHOOK): not set; skipped",
      "notify slack (SLACK_WEBHOOK): not set; skipped",
    ]);
  });

  it("warns about a value that is not an http(s) URL without echoing it", async () => {
    const warnings = await notify(withFailure, [entry("slack", "S"), entry("slack", "T")], {
      env: { S: `not a url ${TOKEN}`, T: `ftp://example.invalid/${TOKEN}` },
    });
    expect(warnings).toEqual(["notify slack (S): not an http(s) URL; skipped", "notify slack (T): not an http(s) URL; skipped"]);
  });

  it("turns HTTP errors, platform error codes, refused connections and timeouts into warnings without the URL", async () => {
    answers.set(`/feishu/${TOKEN}`, (res) => {
      res.statusCode = 500;
      res.end(`internal error for ${TOKEN}`);
    });
    answers.set("/lark", (res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ code: 19001, msg: `param invalid: incoming webhook access token invalid ${TOKEN}`, data: {} }));
    });
    answers.set("/dingtalk", (res) => res.end(JSON.stringify({ errcode: 310000, errmsg: "keywords not in content" })));
    answers.set("/slow", () => {
      /* never answers */
    });
    const port = await closedPort();
    const env = {
      FEISHU_WEBHOOK: `${base}/feishu/${TOKEN}`,
      LARK_WEBHOOK: `${base}/lark?token=${TOKEN}`,
      DINGTALK_WEBHOOK: `${base}/dingtalk?access_token=${TOKEN}`,
      SLACK_WEBHOOK: `http://127.0.0.1:${port}/services/${TOKEN}`,
      SLOW_WEBHOOK: `${base}/slow?k=${TOKEN}`,
    };
    const warnings = await notify(
      withFailure,
      [
        entry("feishu", "FEISHU_WEBHOOK"),
        entry("feishu", "LARK_WEBHOOK"),
        entry("dingtalk", "DINGTALK_WEBHOOK"),
        entry("slack", "SLACK_WEBHOOK"),
        entry("webhook", "SLOW_WEBHOOK"),
      ],
      { env, timeoutMs: 300 },
    );
    expect(warnings).toEqual([
      "notify feishu (FEISHU_WEBHOOK): HTTP 500",
      "notify feishu (LARK_WEBHOOK): error 19001: param invalid: incoming webhook access token invalid ***",
      "notify dingtalk (DINGTALK_WEBHOOK): error 310000: keywords not in content",
      "notify slack (SLACK_WEBHOOK): ECONNREFUSED",
      "notify webhook (SLOW_WEBHOOK): timed out after 0.3s",
    ]);
    for (const w of warnings) {
      expect(w).not.toContain(TOKEN);
      expect(w).not.toContain("127.0.0.1");
    }
  });

  it("does not follow a redirect to another address", async () => {
    answers.set("/moved", (res) => {
      res.statusCode = 307;
      res.setHeader("location", `${base}/elsewhere`);
      res.end();
    });
    const warnings = await notify(withFailure, [entry("slack", "S")], { env: { S: `${base}/moved` } });
    expect(warnings).toEqual(["notify slack (S): HTTP 307"]);
    expect(hits.map((h) => h.path)).toEqual(["/moved"]);
  });
});

describe("chat text from registries cannot mention anyone", () => {
  it("neutralizes mention syntax and keeps arrows", async () => {
    const { defang } = await import("../../src/engine/notify.js");
    expect(defang("slack", "a -> b <!channel> & <@U1>")).toBe("a -> b &lt;!channel> &amp; &lt;@U1>");
    expect(defang("feishu", 'x -> <at user_id="all"></at>')).toBe('x -> ‹at user_id="all">‹/at>');
  });
});

describe("webhooks go through the registry traffic's proxy, and robots can be signed", () => {
  it("sends through HTTP_PROXY like registry requests (global fetch would not)", async () => {
    const hooks = `hooks.mirrorbot.test:${new URL(base).port}`;
    const proxy = await startForwardProxy({ routes: { [hooks]: new URL(base).host } });
    vi.stubEnv("HTTP_PROXY", proxy.url);
    try {
      const warnings = await notify(withFailure, [entry("webhook", "HOOK")], { env: { HOOK: `http://${hooks}/via-proxy` }, runUrl: null });
      expect(warnings).toEqual([]);
      expect(hits.map((h) => h.path)).toEqual(["/via-proxy"]);
      expect(proxy.seen.map((r) => `${r.method} ${r.target}`)).toEqual([`POST http://${hooks}/via-proxy`]);
    } finally {
      vi.unstubAllEnvs();
      await proxy.close();
    }
  });

  it("signs a DingTalk robot: timestamp and sign in the query, HMAC-SHA256 of timestamp\\nsecret keyed with the secret", async () => {
    const secret = "SECdingtalk-signing-5ecret";
    const before = Date.now();
    const warnings = await notify(withFailure, [{ ...entry("dingtalk", "DT"), secretEnv: "DT_SECRET" }], { env: { DT: `${base}/robot/send?access_token=${TOKEN}`, DT_SECRET: secret } });
    expect(warnings).toEqual([]);
    const url = new URL(hits[0]!.path, base);
    const timestamp = url.searchParams.get("timestamp")!;
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(url.searchParams.get("access_token")).toBe(TOKEN);
    expect(url.searchParams.get("sign")).toBe(createHmac("sha256", secret).update(`${timestamp}\n${secret}`).digest("base64"));
  });

  it("signs a Feishu robot: timestamp (seconds) and sign in the body, HMAC-SHA256 keyed with timestamp\\nsecret over nothing", async () => {
    const secret = "feishu-signing-5ecret";
    const warnings = await notify(withFailure, [{ ...entry("feishu", "FS"), secretEnv: "FS_SECRET" }], { env: { FS: `${base}/open-apis/bot/v2/hook/${TOKEN}`, FS_SECRET: secret } });
    expect(warnings).toEqual([]);
    const body = hits[0]!.body as { timestamp: string; sign: string; msg_type: string };
    expect(body.msg_type).toBe("text");
    expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(600);
    expect(body.sign).toBe(createHmac("sha256", `${body.timestamp}\n${secret}`).update("").digest("base64"));
  });

  it("uses each platform's timestamp unit: milliseconds for DingTalk, seconds for Feishu", () => {
    const feishu = signRequest("feishu", new URL("https://open.feishu.cn/x"), { msg_type: "text" }, "demo", 1_599_360_473_000);
    expect(feishu.body).toEqual({ timestamp: "1599360473", sign: createHmac("sha256", "1599360473\ndemo").update("").digest("base64"), msg_type: "text" });
    const ding = signRequest("dingtalk", new URL("https://oapi.dingtalk.com/robot/send?access_token=t"), {}, "demo", 1_599_360_473_000);
    expect(ding.url.searchParams.get("timestamp")).toBe("1599360473000");
  });

  it("skips a signed robot whose secret is not set, naming the variable", async () => {
    const warnings = await notify(withFailure, [{ ...entry("dingtalk", "DT"), secretEnv: "DT_SECRET" }], { env: { DT: `${base}/robot/send?access_token=${TOKEN}` } });
    expect(warnings).toEqual(["notify dingtalk (DT): DT_SECRET (secretEnv) not set; skipped"]);
    expect(hits).toEqual([]);
  });
});
