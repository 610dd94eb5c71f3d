import { describe, expect, it } from "vitest";
import { buildResult } from "../../src/engine/result.js";
import {
  codeCell,
  escapeCell,
  formatDuration,
  humanBytes,
  originalName,
  pullCommands,
  renderSummary,
  shortDigest,
} from "../../src/engine/summary.js";
import { HEX, notFoundTask, taskResult as task } from "./helpers/results.js";

const meta = { request: "12-345", startedAt: new Date("2025-01-01T00:00:00Z"), finishedAt: new Date("2025-01-01T00:01:02Z") };

describe("humanBytes", () => {
  it.each([
    [0, "0 B"],
    [999, "999 B"],
    [1_000, "1.0 KB"],
    [1_500, "1.5 KB"],
    [12_345_678, "12.3 MB"],
    [999_960, "1.0 MB"],
    [3_210_000_000, "3.2 GB"],
  ])("%d bytes read %s", (bytes, text) => {
    expect(humanBytes(bytes)).toBe(text);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0.0s"],
    [340, "0.3s"],
    [1_400, "1.4s"],
    [59_940, "59.9s"],
    [125_000, "2m05s"],
    [3_720_000, "1h02m"],
  ])("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("shortDigest", () => {
  it("keeps the algorithm and the first 12 hex digits", () => {
    expect(shortDigest(`sha256:${HEX}`)).toBe("sha256:abcd1234ef56");
  });
  it("leaves anything that is not a digest alone", () => {
    expect(shortDigest("latest")).toBe("latest");
  });
});

describe("pullCommands", () => {
  it("pulls the mirror and tags it back to the familiar name", () => {
    expect(pullCommands(task({}))).toEqual([
      "docker pull registry.example.com/mirror/nginx:1.26",
      "docker tag registry.example.com/mirror/nginx:1.26 nginx:1.26",
    ]);
  });

  it("keeps a non-Hub registry in the original name and drops a digest next to a tag", () => {
    const t = task({ source: `ghcr.io/owner/tool:1.0@sha256:${HEX}`, target: "registry.example.com/mirror/tool:1.0" });
    expect(pullCommands(t)[1]).toBe("docker tag registry.example.com/mirror/tool:1.0 ghcr.io/owner/tool:1.0");
  });

  it("only pulls a source pinned by digest alone, which cannot be a local tag", () => {
    expect(originalName(`docker.io/library/nginx@sha256:${HEX}`)).toBeNull();
    expect(pullCommands(task({ source: `docker.io/library/nginx@sha256:${HEX}` }))).toEqual([
      "docker pull registry.example.com/mirror/nginx:1.26",
    ]);
  });
});

describe("cell escaping", () => {
  it("escapes pipes and backticks in plain cells", () => {
    expect(escapeCell("a|b `c`\nd")).toBe("a\\|b \\`c\\` d");
  });
  it("lets registry error text make no link and no mention", () => {
    expect(escapeCell("denied: ask @org/team at https://evil.example or www.evil.example")).toBe(
      "denied: ask \\@org/team at https\\://evil.example or www\\.evil.example",
    );
  });
  it("escapes pipes in code spans and lengthens the fence around a backtick", () => {
    expect(codeCell("a|b")).toBe("`a\\|b`");
    expect(codeCell("x`y")).toBe("`` x`y ``");
  });
});

describe("renderSummary", () => {
  it("renders the counts line and a row per task, failures first with their reason", () => {
    const result = buildResult(
      [
        task({}),
        notFoundTask({ line: 2, error: "source not found: docker.io/library/ngnix:1.26 | see `skopeo`" }),
        task({ line: 3, status: "skipped", bytes: 0, platform: "linux/arm64", target: "registry.example.com/mirror/nginx:1.26-linux-arm64" }),
      ],
      meta,
    );
    expect(renderSummary(result)).toBe(
      [
        "## mirrorbot sync 12-345",
        "",
        "**1 copied, 1 skipped, 1 failed** of 3 · 12.3 MB uploaded in 1m02s",
        "",
        "| Status | Source | Target | Digest | Size | Pull / reason |",
        "| --- | --- | --- | --- | --- | --- |",
        "| ❌ failed | `docker.io/library/ngnix:1.26` | `registry.example.com/mirror/ngnix:1.26` |  | 0 B | " +
          "source not found: docker.io/library/ngnix:1.26 \\| see \\`skopeo\\` |",
        "| ✅ copied | `docker.io/library/nginx:1.26` | `registry.example.com/mirror/nginx:1.26` | `sha256:abcd1234ef56` | 12.3 MB | " +
          "`docker pull registry.example.com/mirror/nginx:1.26`<br>`docker tag registry.example.com/mirror/nginx:1.26 nginx:1.26` |",
        "| ⏭️ skipped | `docker.io/library/nginx:1.26` (linux/arm64) | `registry.example.com/mirror/nginx:1.26-linux-arm64` | `sha256:abcd1234ef56` | 12.3 MB | " +
          "`docker pull registry.example.com/mirror/nginx:1.26-linux-arm64`<br>`docker tag registry.example.com/mirror/nginx:1.26-linux-arm64 nginx:1.26` |",
        "",
      ].join("\n"),
    );
  });

  it("keeps every row to the header's six cells even when an error is full of pipes", () => {
    const result = buildResult([task({ status: "failed", error: "a|b|c||d\n|e" })], meta);
    const row = renderSummary(result).split("\n").find((l) => l.startsWith("| ❌"));
    // Count the unescaped pipes: the cell borders only.
    expect(row?.replace(/\\\|/g, "").split("|").length).toBe(8);
  });

  it("shows the first 500 rows, failures first, and points at the artifact for the rest", () => {
    const tasks = Array.from({ length: 1_200 }, (_, i) => task({ line: i + 1, ...(i === 1_199 ? { status: "failed", error: "boom" } : {}) }));
    const summary = renderSummary(buildResult(tasks, meta));
    const rows = summary.split("\n").filter((l) => /^\| (✅|❌|⏭️)/.test(l));
    expect(rows).toHaveLength(500);
    expect(rows[0]).toMatch(/^\| ❌ failed /);
    expect(summary).toContain("… and 700 more rows: every task is in the mirror-result artifact (result.json).");
  });

  it("says so when there was nothing to sync", () => {
    const result = buildResult([], { ...meta, request: null });
    expect(renderSummary(result)).toBe(
      "## mirrorbot sync\n\n**0 copied, 0 skipped, 0 failed** of 0 · 0 B uploaded in 1m02s\n\nNothing to sync.\n",
    );
  });
});
