import { describe, expect, it } from "vitest";
import { parseCommands } from "../../src/app/commands.js";

describe("parseCommands", () => {
  it("reads /sync with images and a platform per line", () => {
    expect(parseCommands("Please mirror:\n/sync nginx:1.26 redis:7 --platform=linux/arm64\n/sync mysql:8.0\nthanks")).toEqual([
      { kind: "sync", line: 2, images: ["nginx:1.26", "redis:7"], platforms: ["linux/arm64"], problems: [] },
      { kind: "sync", line: 3, images: ["mysql:8.0"], platforms: [], problems: [] },
    ]);
  });

  it("reads a tag set with spaces (and a regex holding a brace) as one image, renamed too", () => {
    expect(parseCommands("/sync nginx:{semver >=1.26 <1.28, !*-alpine} redis:{/7\\.\\d{1,2}/} => cache/redis --platform=linux/arm64")).toEqual([
      { kind: "sync", line: 1, images: ["nginx:{semver >=1.26 <1.28, !*-alpine}", "redis:{/7\\.\\d{1,2}/} => cache/redis"], platforms: ["linux/arm64"], problems: [] },
    ]);
  });

  it("accepts --platform with a space, a comma list, and renames spread over tokens", () => {
    expect(parseCommands("/sync --platform linux/amd64,linux/arm64 gitea/gitea:1.20 => tools/gitea:1.20")).toEqual([
      { kind: "sync", line: 1, images: ["gitea/gitea:1.20 => tools/gitea:1.20"], platforms: ["linux/amd64", "linux/arm64"], problems: [] },
    ]);
  });

  it("reads /retry and /approve, with CRLF line ends", () => {
    expect(parseCommands("/approve\r\n/retry please")).toEqual([
      { kind: "approve", line: 1 },
      { kind: "retry", line: 2 },
    ]);
  });

  it("splits lines on every Unicode line terminator, so a command after one is not dropped", () => {
    for (const sep of ["\u2028", "\u2029", "\u0085", "\v", "\f"]) {
      expect(parseCommands(`Please mirror${sep}/sync nginx:1.26${sep}/retry`), JSON.stringify(sep)).toEqual([
        { kind: "sync", line: 2, images: ["nginx:1.26"], platforms: [], problems: [] },
        { kind: "retry", line: 3 },
      ]);
    }
  });

  it("reads the request id after /approve, in backticks too; other words after it are prose", () => {
    expect(parseCommands("/approve 8-1772359200\n/approve `7-5002` reviewed\n/approve LGTM")).toEqual([
      { kind: "approve", line: 1, request: "8-1772359200" },
      { kind: "approve", line: 2, request: "7-5002" },
      { kind: "approve", line: 3 },
    ]);
  });

  it("ignores commands in quotes, fenced and indented code, and mid-line", () => {
    const body = [
      "> /sync quoted:1",
      "```",
      "/sync fenced:1",
      "```",
      "~~~~md",
      "/approve",
      "~~~~",
      "    /sync indented:1",
      "say /sync inline:1",
      "/synchronize",
      "/sync real:1",
    ].join("\n");
    expect(parseCommands(body)).toEqual([{ kind: "sync", line: 11, images: ["real:1"], platforms: [], problems: [] }]);
  });

  it("keeps a fence open until a matching closing fence", () => {
    expect(parseCommands("````\n```\n/sync inside:1\n````\n/sync after:1").map((c) => c.line)).toEqual([5]);
  });

  it("reports unknown options and a missing platform value", () => {
    expect(parseCommands("/sync nginx --force --platform")).toEqual([
      {
        kind: "sync",
        line: 1,
        images: ["nginx"],
        platforms: [],
        problems: [
          "unknown option `--force`; only `--platform=os/arch` is understood",
          "`--platform` needs a value such as `--platform=linux/arm64`",
        ],
      },
    ]);
  });

  it("quotes a long unknown option cut short", () => {
    const [command] = parseCommands(`/sync nginx --${"x".repeat(5_000)}`);
    expect(command?.kind === "sync" && command.problems).toEqual([`unknown option \`--${"x".repeat(37)}…\`; only \`--platform=os/arch\` is understood`]);
  });
});
