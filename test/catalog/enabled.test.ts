import { describe, expect, it } from "vitest";
import { catalogueDecision, pagesUrl } from "../../src/catalog/enabled.js";
import { parseConfig } from "../../src/domain/config.js";

describe("catalog config", () => {
  it("is auto with no url by default, and names the key of a bad value", () => {
    expect(parseConfig("", ".github/mirrorbot.yml").catalog).toEqual({ enabled: "auto", url: null });
    expect(() => parseConfig("catalog: {enabled: yes please}", ".github/mirrorbot.yml")).toThrow(
      '.github/mirrorbot.yml: catalog.enabled: expected "auto", true or false, got a string',
    );
    expect(() => parseConfig('catalog: {url: "javascript:alert(1)"}', ".github/mirrorbot.yml")).toThrow(
      `.github/mirrorbot.yml: catalog.url: expected the page's http(s) address such as "https://octo.github.io/mirror/", got "javascript:alert(1)"`,
    );
  });

  it("publishes by default in a public repository only", () => {
    const auto = { enabled: "auto" as const, url: null };
    expect(catalogueDecision(auto, "public").enabled).toBe(true);
    expect(catalogueDecision(auto, "private")).toEqual({
      enabled: false,
      reason: "the repository is private and a Pages site is public on most plans; set catalog.enabled to true to publish anyway",
    });
    expect(catalogueDecision(auto, "internal").enabled).toBe(false);
    expect(catalogueDecision({ enabled: true, url: null }, "private").enabled).toBe(true);
    expect(catalogueDecision({ enabled: false, url: null }, "public").enabled).toBe(false);
    expect(catalogueDecision({ enabled: false, url: null }, null).enabled).toBe(false);
  });

  it("finds the page at GitHub's default Pages address unless catalog.url says otherwise", () => {
    expect(pagesUrl(null, "Octo/mirror")).toBe("https://octo.github.io/mirror/");
    expect(pagesUrl(null, "octo/Octo.github.io")).toBe("https://octo.github.io/");
    expect(pagesUrl("https://mirror.example.com", "octo/mirror")).toBe("https://mirror.example.com/");
  });
});
