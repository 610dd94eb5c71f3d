import { describe, expect, it } from "vitest";
import { cell, code, commitMessage, formatSize, prose, renderStatus, shortDigest } from "../../src/app/render.js";
import { readState, requestMarker, stateComment, type RequestState } from "../../src/app/state.js";
import { requestState } from "./helpers/state.js";

describe("escaping user text", () => {
  it("keeps quoted input in code spans so it cannot mention, link or embed", () => {
    expect(prose('invalid reference "@admins": bad')).toBe("invalid reference `@admins`: bad");
    expect(prose('invalid reference "![x](https://t.example/a.png)"')).toBe("invalid reference `![x](https://t.example/a.png)`");
    expect(prose("policy says <b>no</b> to @x")).toBe("policy says \\<b\\>no\\</b\\> to \\@x");
    expect(prose("write `nginx:1.26`")).toBe("write `nginx:1.26`");
    expect(prose("www.evil.com/x is not allowed, see https://evil.com")).toBe("www\\.evil.com/x is not allowed, see https\\://evil.com");
  });

  it("makes code spans that backticks and line breaks cannot leave, and table cells pipes cannot split", () => {
    expect(code("a`b\nc")).toBe("`a'b c`");
    expect(cell("a|b")).toBe("`a\\|b`");
    expect(code("x".repeat(200))).toHaveLength(122);
  });
});

describe("numbers", () => {
  it("formats sizes in SI units and digests to 12 hex digits", () => {
    expect([formatSize(999), formatSize(41_234_567), formatSize(1_500_000_000)]).toEqual(["999 B", "41.2 MB", "1.5 GB"]);
    expect(shortDigest(`sha256:${"ab".repeat(32)}`)).toBe("sha256:abababababab");
  });
});

describe("commit messages", () => {
  it("name the images and the issue and end with the request trailer", () => {
    expect(commitMessage({ file: "images.txt", added: ["a:1", "b:2", "c:3"], issue: 4, request: "4-9", requester: null })).toBe(
      "Mirror a:1 and 2 more (#4)\n\nAdd to images.txt, requested in #4:\n\n- a:1\n- b:2\n- c:3\n\nMirrorbot-Request: 4-9",
    );
  });
});

describe("request state in a comment", () => {
  const state: RequestState = {
    version: 1,
    request: "3-1",
    issue: 3,
    kind: "issue",
    status: "failed",
    requester: { login: "a", id: 1 },
    images: ["x:1 => evil --> <script>"],
    force: false,
    pr: null,
    commit: null,
    run: null,
    failed: [],
  };

  it("round-trips, and no value can close the HTML comment", () => {
    const body = `${requestMarker("3-1")}\n${stateComment(state)}\ntext`;
    expect(stateComment(state)).not.toMatch(/-->.*-->/);
    expect(stateComment(state).indexOf(">")).toBe(stateComment(state).length - 1);
    expect(readState(body)).toEqual(state);
  });

  it("is null without the matching marker or with an invalid state", () => {
    expect(readState(stateComment(state))).toBeNull();
    expect(readState(`${requestMarker("3-1")}\n<!-- mirrorbot:state {"version":2} -->`)).toBeNull();
  });
});

describe("a rejected request's reply", () => {
  it("lists twenty problems, then how many more, so it stays within a comment's size", () => {
    const problems = Array.from({ length: 2_000 }, (_, i) => ({ image: `A${i}!`.repeat(50), message: `invalid reference "A${i}!"` }));
    const body = renderStatus(requestState({ status: "rejected" }), { kind: "rejected", problems });
    const listed = body.split("\n").filter((l) => l.startsWith("- "));
    expect(listed).toHaveLength(21);
    expect(listed[20]).toBe("- … and 1980 more");
    expect(body.length).toBeLessThan(10_000);
  });
});

