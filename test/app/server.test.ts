/**
 * Webhooks over real HTTP: Probot's middleware on 127.0.0.1 verifies the signature. A signed
 * delivery reaches the app; a forged or unsigned one is refused with 400 before any API call.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mirrorbot from "../../src/index.js";
import { BOT, issueComment, MAINTAINER } from "../fixtures/payloads.js";
import { api, blockNetwork, launchComment, R, requestReads } from "./helpers/github.js";
import { testProbot, WEBHOOK_SECRET } from "./helpers/probot.js";

let server: Server;
let url: string;

beforeAll(async () => {
  const { probot } = await testProbot();
  const middleware = await createNodeMiddleware(() => {}, { probot });
  server = createServer((req, res) => {
    void middleware(req, res, () => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
blockNetwork("127.0.0.1");

function sign(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

async function deliver(body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-github-event": "issue_comment", "x-github-delivery": "delivery-1", ...headers },
    signal: AbortSignal.timeout(5000),
  });
  await res.text();
  return res.status;
}

describe("webhook server", () => {
  it("accepts a signed delivery and runs the app", async () => {
    const scope = api();
    requestReads(scope, { issue: 7, images: "redis:7\n", sha: "sha-1", login: MAINTAINER.login, role: "admin" });
    scope
      .post(`${R}/actions/workflows/mirror.yml/dispatches`)
      .reply(200, { workflow_run_id: 77, run_url: "https://api.github.com/x", html_url: "https://github.com/Codertocat/Hello-World/actions/runs/77" })
      .post(`${R}/issues/7/labels`, { labels: ["mirror:queued"] })
      .reply(200, []);
    let status = "";
    launchComment(scope, 7, 1, (body) => (status = body));
    const body = JSON.stringify(issueComment({ body: "/sync redis:7" }));

    expect(await deliver(body, { "x-hub-signature-256": sign(body) })).toBe(200);
    expect(scope.pendingMocks()).toEqual([]);
    expect(status).toContain("**Mirror request `7-5001` is queued.**");
  });

  it("refuses a forged signature with 400 and calls no API", async () => {
    const scope = api();
    const body = JSON.stringify(issueComment({ body: "/sync redis:7" }));

    expect(await deliver(body, { "x-hub-signature-256": sign(body, "not-the-secret") })).toBe(400);
    expect(await deliver(body.replace("redis:7", "evil:1"), { "x-hub-signature-256": sign(body) })).toBe(400);
    expect(scope.isDone()).toBe(false); // not even the installation token was asked for
  });

  it("refuses an unsigned delivery with 400 and calls no API", async () => {
    const scope = api();
    const body = JSON.stringify(issueComment({ body: "/sync redis:7" }));

    expect(await deliver(body, {})).toBe(400);
    expect(scope.isDone()).toBe(false);
  });
});

describe("src/index.ts", () => {
  it("default-exports the app function, whose handlers answer events", async () => {
    const { probot, logs } = await testProbot({}, mirrorbot);
    expect(logs.map((l) => l.msg)).toContain("mirrorbot loaded");

    await probot.receive({ id: "d2", name: "issue_comment", payload: issueComment({ body: "/sync redis:7", sender: BOT }) as any });
    expect(logs.find((l) => l.msg === "ignoring a comment by a bot")?.fields).toMatchObject({ reason: "bot-sender", sender: "mirrorbot[bot]" });
  });
});
