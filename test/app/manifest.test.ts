import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { Probot } from "probot";
import { createApp } from "../../src/app/app.js";
import { testPrivateKey } from "./helpers/probot.js";

describe("app.yml", () => {
  const manifest = parse(readFileSync(new URL("../../app.yml", import.meta.url), "utf8"));

  it("asks for exactly the events the app handles", async () => {
    const probot = new Probot({ appId: 1, privateKey: testPrivateKey(), logLevel: "fatal" });
    const events = new Set<string>();
    const on = probot.on.bind(probot);
    probot.on = ((names: string | string[], handler: never) => {
      for (const name of [names].flat()) events.add(name.split(".")[0]!);
      return on(names as never, handler);
    }) as typeof probot.on;
    await probot.load(createApp());
    expect([...manifest.default_events].sort()).toEqual([...events].sort());
  });

  it("asks for the least permissions, with snake_case keys", () => {
    expect(manifest.default_permissions).toEqual({
      actions: "write",
      checks: "write",
      contents: "write",
      issues: "write",
      pull_requests: "write",
      metadata: "read",
    });
  });
});
