import { describe, expect, it } from "vitest";
import { oneLine, redact } from "../../src/engine/redact.js";

describe("output hygiene", () => {
  it("folds line breaks so registry text can never start a line (no '::' workflow commands)", () => {
    expect(oneLine("busy\r\n::warning title=spoof::x\n  next")).toBe("busy ::warning title=spoof::x next");
  });

  it("replaces every occurrence of each secret, and leaves very short values alone", () => {
    expect(redact("pw=hunter2 and hunter2 again, id=ab", ["hunter2", "ab"])).toBe("pw=*** and *** again, id=ab");
  });
});
