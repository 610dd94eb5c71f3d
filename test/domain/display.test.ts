import { describe, expect, it } from "vitest";
import { capText, displayMessage, escapeHidden, shown } from "../../src/domain/display.js";

describe("escapeHidden", () => {
  it("shows zero-width, bidi override/isolate, BOM and control characters as \\u{…}", () => {
    expect(escapeHidden("a\u200Bb\u200Fc\u202Ad\u202Ee\u2066f\u2069g\uFEFFh\u0007i\u2028j")).toBe(
      "a\\u{200B}b\\u{200F}c\\u{202A}d\\u{202E}e\\u{2066}f\\u{2069}g\\u{FEFF}h\\u{0007}i\\u{2028}j",
    );
  });

  it("leaves ordinary text, tabs, line feeds and non-Latin scripts alone", () => {
    expect(escapeHidden("镜像 nginx:1.26\tok\n")).toBe("镜像 nginx:1.26\tok\n");
  });
});

describe("capText and shown", () => {
  it("cuts at 200 code points with an ellipsis, never inside a surrogate pair", () => {
    expect(capText("a".repeat(200))).toBe("a".repeat(200));
    expect(capText("a".repeat(201))).toBe(`${"a".repeat(200)}…`);
    expect(capText("😀".repeat(300))).toBe(`${"😀".repeat(200)}…`);
    expect(shown(`\u202E${"x".repeat(300)}`, 3)).toBe("\\u{202E}xx…");
  });
});

describe("displayMessage", () => {
  it("cuts each quoted piece of input and keeps the words around it", () => {
    expect(displayMessage(`invalid reference "${"a".repeat(5000)}": too long`)).toBe(`invalid reference "${"a".repeat(200)}…": too long`);
  });

  it("escapes hidden characters inside and outside quotes", () => {
    expect(displayMessage('unknown flag "--pl\u200Batform" \u202E')).toBe('unknown flag "--pl\\u{200B}atform" \\u{202E}');
  });
});
