import { describe, expect, it } from "vitest";
import { renderStatus } from "../../src/app/render.js";
import { buildResult } from "../../src/engine/result.js";
import { task } from "../catalog/fixtures.js";
import { requestState } from "./helpers/state.js";

const result = buildResult(
  [task(), task({ source: "docker.io/library/mysql:8.0", target: "registry.example.com/mirror/mysql:8.0-linux-arm64", platform: "linux/arm64" })],
  { request: "4-1", startedAt: new Date("2026-12-01T08:00:00Z"), finishedAt: new Date("2026-12-01T08:01:00Z") },
);

describe("the result comment and the catalogue", () => {
  it("links each image to its row on the catalogue page when the page's address is configured", () => {
    const body = renderStatus(requestState({ status: "done" }), { kind: "result", result, catalogUrl: "https://octo.github.io/mirror/" });
    expect(body).toContain(
      "| [`nginx:1.26`](https://octo.github.io/mirror/#docker.io%2Flibrary%2Fnginx%3A1.26) | `registry.example.com/mirror/nginx:1.26` | copied |",
    );
    expect(body).toContain(
      "| [`mysql:8.0 (linux/arm64)`](https://octo.github.io/mirror/#docker.io%2Flibrary%2Fmysql%3A8.0%7Clinux%2Farm64) | `registry.example.com/mirror/mysql:8.0-linux-arm64` |",
    );
  });

  it("shows plain names without an address", () => {
    const body = renderStatus(requestState({ status: "done" }), { kind: "result", result });
    expect(body).toContain("| `nginx:1.26` | `registry.example.com/mirror/nginx:1.26` | copied |");
    expect(body).not.toContain("github.io");
  });
});
