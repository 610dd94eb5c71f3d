import { describe, expect, it } from "vitest";
import app from "../src/index.js";

describe("package", () => {
  it("exports the app function", () => {
    expect(typeof app).toBe("function");
  });
});
