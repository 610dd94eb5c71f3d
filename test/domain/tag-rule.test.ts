import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/domain/diagnostic.js";
import { formatEntry, isTagSet, parseEntryLine, parseImagesFile } from "../../src/domain/images-file.js";
import { matchTags, orderTags, parseTagRule, suggestTags, TagRuleError, tagVersion } from "../../src/domain/tag-rule.js";

// What a busy repository looks like: releases, partial versions, a "v" spelling, variants,
// prereleases and channel tags.
const TAGS = [
  "latest", "mainline", "stable",
  "1", "1.26", "1.26.0", "1.26.1", "1.26.2", "1.26.3", "1.27", "1.27.0", "1.27.1", "1.28.0-rc1", "1.28.0-rc.2", "1.28.0-beta.1",
  "v1.26.3", "v1.27.1",
  "1.26.3-alpine", "1.27.1-alpine", "1.27.1-bookworm", "1.27.1-alpine3.20", "1.28.0-rc1-alpine",
  "1.24.0", "1.25.5",
];

const match = (rule: string, tags = TAGS) => matchTags(parseTagRule(rule), tags);

describe("tagVersion", () => {
  it("reads a leading v, partial versions and variants, and tells prereleases from variants", () => {
    expect(tagVersion("v1.26.3-alpine")).toEqual({ version: "1.26.3", variant: "alpine", prerelease: false, precision: 3 });
    expect(tagVersion("1.26")).toEqual({ version: "1.26.0", variant: null, prerelease: false, precision: 2 });
    expect(tagVersion("1.27.0-rc1")).toEqual({ version: "1.27.0-rc.1", variant: null, prerelease: true, precision: 3 });
    expect(tagVersion("1.28.0-rc1-alpine")).toEqual({ version: "1.28.0-rc.1", variant: "alpine", prerelease: true, precision: 3 });
    expect(tagVersion("3.12-slim-bookworm")).toEqual({ version: "3.12.0", variant: "slim-bookworm", prerelease: false, precision: 2 });
    expect(tagVersion("latest")).toBeNull();
    expect(tagVersion("1.2.3.4")).toBeNull();
  });
});

describe("orderTags", () => {
  it("puts the newest version first, finer and un-prefixed spellings first among equals, names last", () => {
    expect(orderTags(["latest", "1.26", "v1.27.0", "1.26.3", "1.26.0", "1.27.0"])).toEqual(["1.27.0", "v1.27.0", "1.26.3", "1.26.0", "1.26", "latest"]);
  });
});

describe("matchTags", () => {
  it("semver: a range over released versions without a variant, v-prefixed tags included", () => {
    expect(match("semver >=1.26 <1.27")).toEqual(["1.26.3", "v1.26.3", "1.26.2", "1.26.1", "1.26.0", "1.26"]);
  });
  it("semver: a variant suffix is a variant to ask for, never a prerelease (regclient#1041)", () => {
    expect(match("semver ^1.26, variant alpine")).toEqual(["1.27.1-alpine", "1.26.3-alpine"]);
    expect(match("semver ~1.27.1, variant *")).toEqual(["1.27.1", "v1.27.1", "1.27.1-alpine", "1.27.1-alpine3.20", "1.27.1-bookworm"]);
  });
  it("semver: prereleases only when asked for", () => {
    expect(match("semver >=1.27.1")).toEqual(["1.27.1", "v1.27.1"]);
    expect(match("semver >=1.27.1, pre")).toEqual(["1.28.0-rc.2", "1.28.0-rc1", "1.28.0-beta.1", "1.27.1", "v1.27.1"]);
  });
  it("latest N by version order, with exclusions applied first", () => {
    expect(match("latest 3")).toEqual(["1.27.1", "v1.27.1", "1.27.0"]);
    expect(match("latest 3, !v*")).toEqual(["1.27.1", "1.27.0", "1.27"]);
  });
  it("globs and regular expressions match the whole tag; several patterns are OR-ed", () => {
    expect(match("1.27.*")).toEqual(["1.27.1", "1.27.1-alpine", "1.27.1-alpine3.20", "1.27.1-bookworm", "1.27.0"]);
    expect(match("v*, latest")).toEqual(["v1.27.1", "v1.26.3", "latest"]);
    expect(match("/1\\.2[45]\\.\\d+/")).toEqual(["1.25.5", "1.24.0"]);
    expect(match("/1\\.2/")).toEqual([]);
  });
  it("a pattern with a version clause picks the variants itself", () => {
    expect(match("*-alpine, semver >=1.27")).toEqual(["1.27.1-alpine"]);
  });
  it("every tag, minus exclusions", () => {
    expect(match("*, !*-*, !/\\d+(\\.\\d+)*/")).toEqual(["v1.27.1", "v1.26.3", "latest", "mainline", "stable"]);
  });
});

describe("parseTagRule errors", () => {
  const error = (text: string) => {
    try {
      parseTagRule(text);
    } catch (e) {
      if (e instanceof TagRuleError) return `${e.column}: ${e.reason}`;
      throw e;
    }
    return "no error";
  };
  it("names the column and the fix", () => {
    expect(error("semver ^1.26, lattest 3")).toBe('22: unexpected " " in pattern "lattest 3"; a keyword clause is semver, variant, latest or pre');
    expect(error("semver banana")).toBe('8: "banana" is not a semver range; e.g. ^1.26, ~1.26.3, >=1.26 <1.28, 1.26.x');
    expect(error("latest 0")).toBe("8: latest needs a whole number from 1 to 10000, e.g. latest 3");
    expect(error("")).toBe("1: the tag set is empty; write e.g. {semver ^1.26} or {*} for every tag");
    expect(error("v*,,1.2")).toBe("4: empty clause between commas");
    expect(error("/(a+)+/")).toBe("1: nested quantifiers like (a+)+ are refused: they can take exponential time");
    expect(error("v, /x(\\w*)*/")).toBe("4: nested quantifiers like (a+)+ are refused: they can take exponential time");
    expect(error("/[a/")).toBe("1: regular expression has no closing /");
    expect(error("!")).toBe('2: "!" needs a pattern after it, e.g. !*-alpine');
  });
});

describe("suggestTags", () => {
  it("jenkins:v2.346 suggests 2.346 (DaoCloud/public-image-mirror#18128)", () => {
    expect(suggestTags("v2.346", ["2.346", "2.346.1", "2.345", "latest", "lts"])).toEqual(["2.346", "2.345", "2.346.1"]);
  });
  it("a typo finds the near tags, newest first, and nothing far away", () => {
    expect(suggestTags("1.26.33", ["1.26.3", "1.26.2", "latest"])).toEqual(["1.26.3", "1.26.2"]);
    expect(suggestTags("bookworm", ["1.26.3", "latest"])).toEqual([]);
  });
});

describe("tag sets in images.txt", () => {
  it("reads a rule with spaces, a platform, a rename and a comment holding a brace", () => {
    const { entries, diagnostics } = parseImagesFile(
      "nginx:{semver >=1.26 <1.28, !*-alpine, latest 3} --platform=linux/arm64 => web/nginx # {not a rule}\nghcr.io/a/b:{/v\\d{1,3}/}\n",
    );
    expect(diagnostics).toEqual([]);
    expect(entries.map(formatEntry)).toEqual([
      "--platform=linux/arm64 docker.io/library/nginx:{semver >=1.26 <1.28, !*-alpine, latest 3} => web/nginx",
      "ghcr.io/a/b:{/v\\d{1,3}/}",
    ]);
    expect(entries.every(isTagSet)).toBe(true);
    expect(entries[0]!.source).toEqual({ domain: "docker.io", path: "library/nginx" });
  });
  it("reports FILE:LINE:COL errors inside the rule, for a tag or digest before it, and for a rename with a tag", () => {
    const text = ["nginx:{semver ^1.26, lattest 3}", "nginx:1.26:{*}", "nginx:{*} => web/nginx:1", "nginx:{semver ^1", "nginx@sha256:" + "a".repeat(64) + ":{*}"].join("\n");
    expect(parseImagesFile(text).diagnostics.map(formatDiagnostic)).toEqual([
      'images.txt:1:29: error: invalid tag set: unexpected " " in pattern "lattest 3"; a keyword clause is semver, variant, latest or pre',
      'images.txt:2:6: error: a tag set replaces the tag: write the repository without a tag or digest, e.g. "nginx:{...}"',
      'images.txt:3:23: error: a tag set keeps each tag: write the target without a tag, e.g. "=> web/nginx"',
      'images.txt:4:7: error: the tag set has no closing "}"',
      'images.txt:5:13: error: a tag set replaces the tag: write the repository without a tag or digest, e.g. "nginx@sha256:{...}"',
    ]);
  });
  it("the same rule twice is a duplicate; a plain reference is never a tag set", () => {
    const { diagnostics } = parseImagesFile("nginx:{v*}\ndocker.io/library/nginx:{v*}\n");
    expect(diagnostics.map(formatDiagnostic)).toEqual(["images.txt:2:1: warning: duplicate of line 1 (docker.io/library/nginx:{v*})"]);
    expect(isTagSet(parseEntryLine("nginx:1.26").entry!)).toBe(false);
  });
});
