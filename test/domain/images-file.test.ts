import { describe, expect, it } from "vitest";
import { type Diagnostic, formatDiagnostic, hasErrors, sortDiagnostics } from "../../src/domain/diagnostic.js";
import {
  ImagesFileError,
  addEntries,
  detectLineEnding,
  formatEntry,
  parseEntryLine,
  parseImagesFile,
  removeEntries,
} from "../../src/domain/images-file.js";
import { canonical } from "../../src/domain/reference.js";
import { formatPlatform } from "../../src/domain/platform.js";

const D64 = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";

/** The diagnostics of a text, compiler style, for exact comparisons. */
function check(text: string): string[] {
  return parseImagesFile(text).diagnostics.map(formatDiagnostic);
}

/** The diagnostics of one line. */
function lineErrors(line: string): string[] {
  return parseEntryLine(line).diagnostics.map(formatDiagnostic);
}

/** A short view of the entries: line, column, canonical source, platform, rename. */
function view(text: string): string[] {
  return parseImagesFile(text).entries.map(
    (e) =>
      `${e.line}:${e.column} ${canonical(e.source)}` +
      (e.platform ? ` [${formatPlatform(e.platform)}]` : "") +
      (e.rename !== null ? ` => ${e.rename}` : ""),
  );
}

describe("formatDiagnostic", () => {
  it("prints FILE:LINE:COL: severity: message", () => {
    const d: Diagnostic = { file: "images.txt", line: 3, column: 1, severity: "error", message: "bad" };
    expect(formatDiagnostic(d)).toBe("images.txt:3:1: error: bad");
    expect(formatDiagnostic({ ...d, severity: "warning", line: 12, column: 7 })).toBe("images.txt:12:7: warning: bad");
  });

  it("sorts by file, line and column and tells errors apart", () => {
    const mk = (file: string, line: number, column: number, severity: Diagnostic["severity"]): Diagnostic => ({
      file, line, column, severity, message: "m",
    });
    const sorted = sortDiagnostics([mk("b", 1, 1, "error"), mk("a", 2, 5, "error"), mk("a", 2, 1, "warning"), mk("a", 1, 9, "error")]);
    expect(sorted.map(formatDiagnostic)).toEqual(["a:1:9: error: m", "a:2:1: warning: m", "a:2:5: error: m", "b:1:1: error: m"]);
    expect(hasErrors([mk("a", 1, 1, "warning")])).toBe(false);
    expect(hasErrors([mk("a", 1, 1, "warning"), mk("a", 1, 1, "error")])).toBe(true);
  });
});

describe("parseImagesFile: file quirks", () => {
  it("reads comments, blank lines, trailing comments and surrounding whitespace", () => {
    const text = [
      "# images to mirror",
      "",
      "nginx:1.26",
      "   redis:7   ",
      "\tgitea/gitea:1.20\t# the forge",
      "busybox # note",
      "alpine#notacomment",
      "  # indented comment",
      "   ",
    ].join("\n");
    expect(view(text)).toEqual([
      "3:1 docker.io/library/nginx:1.26",
      "4:4 docker.io/library/redis:7",
      "5:2 docker.io/gitea/gitea:1.20",
      "6:1 docker.io/library/busybox:latest",
    ]);
    expect(check(text)).toEqual([
      'images.txt:7:7: error: invalid reference "alpine#notacomment": invalid character "#" in path component "alpine#notacomment"',
    ]);
    const entries = parseImagesFile(text).entries;
    expect(entries.map((e) => e.text)).toEqual(["nginx:1.26", "redis:7", "gitea/gitea:1.20", "busybox"]);
  });

  it("accepts CRLF endings, a missing final newline and a UTF-8 BOM", () => {
    const text = "\uFEFFnginx:1.26\r\n# c\r\n\r\n--platform=linux/arm64 redis:7\r\nalpine:3.20";
    expect(view(text)).toEqual([
      "1:1 docker.io/library/nginx:1.26",
      "4:24 docker.io/library/redis:7 [linux/arm64]",
      "5:1 docker.io/library/alpine:3.20",
    ]);
    expect(check(text)).toEqual([]);
    expect(parseImagesFile(text).entries.map((e) => e.text)).toEqual([
      "nginx:1.26",
      "--platform=linux/arm64 redis:7",
      "alpine:3.20",
    ]);
  });

  it("gives an empty file no entries and no diagnostics", () => {
    expect(parseImagesFile("")).toEqual({ entries: [], diagnostics: [] });
    expect(parseImagesFile("\n\n# only comments\r\n")).toEqual({ entries: [], diagnostics: [] });
  });

  it("uses the given file name in diagnostics", () => {
    expect(parseImagesFile("Nginx", "mirror/list.txt").diagnostics.map(formatDiagnostic)).toEqual([
      'mirror/list.txt:1:1: error: invalid reference "Nginx": repository name must be lowercase',
    ]);
  });
});

describe("parseImagesFile: flags and targets", () => {
  it.each([
    ["--platform=linux/arm64 nginx", "1:24 docker.io/library/nginx:latest [linux/arm64]"],
    ["--platform linux/arm64 nginx", "1:24 docker.io/library/nginx:latest [linux/arm64]"],
    ["nginx --platform=linux/arm64", "1:1 docker.io/library/nginx:latest [linux/arm64]"],
    ["nginx --platform linux/arm64", "1:1 docker.io/library/nginx:latest [linux/arm64]"],
    ["--platform=linux/aarch64 nginx", "1:26 docker.io/library/nginx:latest [linux/arm64]"],
    ["--platform=LINUX/ARM/v7 nginx", "1:25 docker.io/library/nginx:latest [linux/arm/v7]"],
    ["gitea/gitea:1.20 => tools/gitea:1.20", "1:1 docker.io/gitea/gitea:1.20 => tools/gitea:1.20"],
    ["gitea/gitea:1.20=>tools/gitea", "1:1 docker.io/gitea/gitea:1.20 => tools/gitea"],
    ["gitea/gitea:1.20 =>tools/gitea", "1:1 docker.io/gitea/gitea:1.20 => tools/gitea"],
    ["--platform=linux/amd64 gitea/gitea:1.20 => tools/gitea # x", "1:24 docker.io/gitea/gitea:1.20 [linux/amd64] => tools/gitea"],
    ["gitea/gitea:1.20 => tools/gitea --platform=linux/amd64", "1:1 docker.io/gitea/gitea:1.20 [linux/amd64] => tools/gitea"],
    [`nginx:1.26@sha256:${D64}`, `1:1 docker.io/library/nginx:1.26@sha256:${D64}`],
    ["[::1]:5000/foo", "1:1 [::1]:5000/foo:latest"],
  ])("%s", (line, expected) => {
    expect(view(line)).toEqual([expected]);
    expect(check(line)).toEqual([]);
  });

  it("keeps the rename as written and the platform null when absent", () => {
    const { entry } = parseEntryLine("  gitea/gitea:1.20   =>   tools/gitea:1.20   # why");
    expect(entry).toStrictEqual({
      line: 1,
      column: 3,
      text: "gitea/gitea:1.20   =>   tools/gitea:1.20",
      source: { domain: "docker.io", path: "gitea/gitea", tag: "1.20" },
      platform: null,
      rename: "tools/gitea:1.20",
    });
  });
});

describe("line errors, each with its exact column", () => {
  it.each([
    ["Nginx:1.26", 'images.txt:1:1: error: invalid reference "Nginx:1.26": repository name must be lowercase'],
    ["  library/ngInx", 'images.txt:1:13: error: invalid reference "library/ngInx": repository name must be lowercase'],
    ["--arch=amd64 nginx", 'images.txt:1:1: error: unknown flag "--arch"; only --platform is supported'],
    ["nginx -q", 'images.txt:1:7: error: unknown flag "-q"; only --platform is supported'],
    ["\u2014platform=linux/amd64 nginx", 'images.txt:1:1: error: "\u2014platform" starts with a typographic dash; write --platform'],
    ["--platform=linux/amd65 nginx", 'images.txt:1:18: error: unknown architecture "amd65" in platform "linux/amd65"'],
    ["--platform linx/amd64 nginx", 'images.txt:1:12: error: unknown operating system "linx" in platform "linx/amd64"'],
    ["--platform=linux nginx", 'images.txt:1:12: error: platform "linux" must be os/arch[/variant], e.g. "linux/amd64"'],
    ["--platform= nginx", "images.txt:1:1: error: --platform= needs a value, e.g. --platform=linux/arm64"],
    ["nginx --platform", "images.txt:1:7: error: --platform needs a value, e.g. --platform=linux/arm64"],
    [
      "--platform=linux/amd64,linux/arm64 nginx",
      'images.txt:1:12: error: --platform takes one platform; write one line per platform ("linux/amd64", "linux/arm64")',
    ],
    ["nginx redis", 'images.txt:1:7: error: unexpected "redis" after the image; write one image per line'],
    ["docker pull nginx", 'images.txt:1:8: error: unexpected "pull" after the image; write one image per line'],
    ["=> tools/gitea", 'images.txt:1:1: error: "=>" needs a source image before it'],
    ["gitea/gitea =>", 'images.txt:1:13: error: "=>" needs a target path after it, e.g. "gitea/gitea:1.20 => tools/gitea:1.20"'],
    ["a => b => c", 'images.txt:1:8: error: unexpected second "=>"'],
    ["a => b c", 'images.txt:1:8: error: unexpected "c" after the target; write one entry per line'],
    [
      "gitea/gitea:1.20 => ghcr.io/tools/gitea",
      'images.txt:1:21: error: invalid target "ghcr.io/tools/gitea": a registry ("ghcr.io") is not allowed here; give a path below the target namespace',
    ],
    [
      `gitea/gitea => tools/gitea@sha256:${D64}`,
      `images.txt:1:27: error: invalid target "tools/gitea@sha256:${D64}": a digest is not allowed here; give a path with an optional tag`,
    ],
    ["gitea/gitea => tools/Gitea", 'images.txt:1:22: error: invalid target "tools/Gitea": repository name must be lowercase'],
    ["gitea/gitea => tools/gitea:-1", 'images.txt:1:28: error: invalid target "tools/gitea:-1": tag "-1" must start with a letter, digit or "_"'],
    [`${D64}`, `images.txt:1:1: error: invalid reference "${D64}": cannot specify 64-byte hexadecimal strings (that is an image ID, not a name)`],
  ])("%j", (line, expected) => {
    expect(lineErrors(line)).toEqual([expected]);
    expect(parseEntryLine(line).entry).toBeNull();
  });

  it("reports every problem on a line, in column order", () => {
    expect(lineErrors("--arch=x --platform=linux/amd65 Nginx extra")).toEqual([
      'images.txt:1:1: error: unknown flag "--arch"; only --platform is supported',
      'images.txt:1:27: error: unknown architecture "amd65" in platform "linux/amd65"',
      'images.txt:1:33: error: invalid reference "Nginx": repository name must be lowercase',
      'images.txt:1:39: error: unexpected "extra" after the image; write one image per line',
    ]);
  });

  it("rejects --platform given twice", () => {
    expect(lineErrors("--platform=linux/amd64 nginx --platform=linux/arm64")).toEqual([
      "images.txt:1:30: error: --platform is given twice; write one line per platform",
    ]);
  });

  it("reports a bare --platform as missing both its value and the image", () => {
    expect(lineErrors("--platform")).toEqual([
      "images.txt:1:1: error: --platform needs a value, e.g. --platform=linux/arm64",
      "images.txt:1:1: error: missing image reference",
    ]);
  });

  it("reports a line with only flags as a missing image", () => {
    expect(lineErrors("--platform=linux/amd64")).toEqual(["images.txt:1:1: error: missing image reference"]);
  });
});

describe("parseImagesFile: whole file in one pass", () => {
  it("reports every line's problems with line and column, errors and warnings together", () => {
    const text = [
      "nginx:1.26", // 1
      "Nginx:1.26", // 2
      "--arch=arm64 redis", // 3
      "docker.io/library/nginx:1.26   # same as line 1", // 4
      "--platform=linux/amd65 busybox", // 5
      "index.docker.io/nginx:1.26", // 6
    ].join("\r\n");
    expect(check(text)).toEqual([
      'images.txt:2:1: error: invalid reference "Nginx:1.26": repository name must be lowercase',
      'images.txt:3:1: error: unknown flag "--arch"; only --platform is supported',
      "images.txt:4:1: warning: duplicate of line 1 (docker.io/library/nginx:1.26)",
      'images.txt:5:18: error: unknown architecture "amd65" in platform "linux/amd65"',
      "images.txt:6:1: warning: duplicate of line 1 (docker.io/library/nginx:1.26)",
    ]);
    // Duplicates are still entries (a warning is not an error); invalid lines are not.
    expect(view(text)).toEqual([
      "1:1 docker.io/library/nginx:1.26",
      "4:1 docker.io/library/nginx:1.26",
      "6:1 docker.io/library/nginx:1.26",
    ]);
  });

  it("compares platforms after normalization for duplicates", () => {
    const text = "--platform=linux/arm64 nginx:1.26\nnginx:1.26 --platform linux/aarch64/v8\n--platform=linux/amd64 nginx:1.26\nnginx:1.26\n";
    expect(check(text)).toEqual([
      "images.txt:2:1: warning: duplicate of line 1 (--platform=linux/arm64 docker.io/library/nginx:1.26)",
    ]);
  });

  it("treats an implied latest tag as equal to an explicit one", () => {
    expect(check("redis\nredis:latest\nredis:7\n")).toEqual([
      "images.txt:2:1: warning: duplicate of line 1 (docker.io/library/redis:latest)",
    ]);
  });

  it("does not call entries with different targets duplicates, but does with equal ones", () => {
    const text = "gitea/gitea:1.20 => a/gitea\ngitea/gitea:1.20 => b/gitea\ngitea/gitea:1.20\n  gitea/gitea:1.20=>a/gitea\n";
    expect(check(text)).toEqual([
      "images.txt:4:3: warning: duplicate of line 1 (docker.io/gitea/gitea:1.20 => a/gitea)",
    ]);
  });
});

describe("uppercase first component", () => {
  it("is a registry host, as in Docker, with a warning that suggests the Docker Hub name", () => {
    const { entry, diagnostics } = parseEntryLine("  Bitnami/redis:7");
    expect(entry?.source).toStrictEqual({ domain: "Bitnami", path: "redis", tag: "7" });
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'images.txt:1:3: warning: "Bitnami" is read as a registry host because it has uppercase letters (as Docker does); did you mean "bitnami/redis:7"?',
    ]);
    expect(check("nginx\nBitnami/redis:7\n")).toEqual([
      'images.txt:2:1: warning: "Bitnami" is read as a registry host because it has uppercase letters (as Docker does); did you mean "bitnami/redis:7"?',
    ]);
  });

  it("gives no warning for real hosts", () => {
    expect(lineErrors("Registry.Example.com/redis")).toEqual([]);
    expect(lineErrors("localhost:5000/redis")).toEqual([]);
  });

  it("is an error when there is no slash", () => {
    expect(lineErrors("Redis:7")).toEqual(['images.txt:1:1: error: invalid reference "Redis:7": repository name must be lowercase']);
  });
});

describe("parseEntryLine", () => {
  it("returns null without diagnostics for blank and comment lines", () => {
    for (const line of ["", "   ", "# comment", "  # x", "\r\n"]) {
      expect(parseEntryLine(line)).toEqual({ entry: null, diagnostics: [] });
    }
  });

  it("uses the given line number and file", () => {
    expect(parseEntryLine("Nginx", 7, "request").diagnostics.map(formatDiagnostic)).toEqual([
      'request:7:1: error: invalid reference "Nginx": repository name must be lowercase',
    ]);
    expect(parseEntryLine("nginx", 7).entry?.line).toBe(7);
  });

  it("accepts one trailing line ending but rejects a line break inside", () => {
    expect(parseEntryLine("nginx\r\n").entry?.text).toBe("nginx");
    expect(lineErrors("nginx\nredis")).toEqual([
      "images.txt:1:6: error: expected a single line, found a line break; give one entry per line",
    ]);
  });
});

describe("formatEntry", () => {
  it("prints the normalized entry", () => {
    const { entry } = parseEntryLine("--platform linux/aarch64 gitea/gitea:1.20 => tools/gitea");
    expect(entry && formatEntry(entry)).toBe("--platform=linux/arm64 docker.io/gitea/gitea:1.20 => tools/gitea");
  });
});

describe("addEntries", () => {
  it("appends new lines after a file ending in LF, keeping every other byte", () => {
    const text = "# mirror list\n\nnginx:1.26   # web\n  redis:7\n";
    const result = addEntries(text, ["alpine:3.20", "--platform=linux/arm64 busybox"]);
    expect(result.text).toBe(text + "alpine:3.20\n--platform=linux/arm64 busybox\n");
    expect(result.added).toEqual(["alpine:3.20", "--platform=linux/arm64 busybox"]);
  });

  it("uses CRLF in a CRLF file", () => {
    const text = "nginx:1.26\r\n# c\r\n";
    expect(addEntries(text, ["redis:7"]).text).toBe("nginx:1.26\r\n# c\r\nredis:7\r\n");
  });

  it("adds a line ending first when the file has no final newline", () => {
    expect(addEntries("nginx:1.26", ["redis:7"]).text).toBe("nginx:1.26\nredis:7\n");
    expect(addEntries("nginx:1.26\r\n# last", ["redis:7"]).text).toBe("nginx:1.26\r\n# last\r\nredis:7\r\n");
  });

  it("writes into an empty file", () => {
    expect(addEntries("", ["nginx"])).toEqual({ text: "nginx\n", added: ["nginx"] });
  });

  it("skips entries already present after normalization and repeats within the request", () => {
    const text = "nginx:1.26\n--platform=linux/arm64 redis:7\ngitea/gitea:1.20 => tools/gitea\n";
    const result = addEntries(text, [
      "docker.io/library/nginx:1.26",
      "index.docker.io/library/nginx:1.26 # again",
      "redis:7 --platform linux/aarch64",
      "redis:7", // every platform: a different entry
      "gitea/gitea:1.20=>tools/gitea",
      "gitea/gitea:1.20 => other/gitea",
      "  alpine  ",
      "alpine:latest",
      "",
      "# just a comment",
    ]);
    expect(result.added).toEqual(["redis:7", "gitea/gitea:1.20 => other/gitea", "alpine"]);
    expect(result.text).toBe(text + "redis:7\ngitea/gitea:1.20 => other/gitea\nalpine\n");
  });

  it("returns the text unchanged (same string) when nothing is new", () => {
    const text = "nginx:1.26"; // no final newline: must stay that way
    expect(addEntries(text, ["nginx:1.26"])).toEqual({ text, added: [] });
  });

  it("ignores invalid lines already in the file", () => {
    expect(addEntries("Bad:1\nnginx\n", ["redis"]).text).toBe("Bad:1\nnginx\nredis\n");
  });

  it("throws a clear error, and changes nothing, when a given line is invalid", () => {
    let caught: unknown;
    try {
      addEntries("nginx\n", ["redis:7", "Nginx:1.26", "--arch=x alpine"]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ImagesFileError);
    const e = caught as ImagesFileError;
    expect(e.message).toBe(
      [
        "cannot add entries, nothing was changed; invalid lines:",
        '  "Nginx:1.26": column 1: invalid reference "Nginx:1.26": repository name must be lowercase',
        '  "--arch=x alpine": column 1: unknown flag "--arch"; only --platform is supported',
      ].join("\n"),
    );
    expect(e.diagnostics.map(formatDiagnostic)).toEqual([
      'input:2:1: error: invalid reference "Nginx:1.26": repository name must be lowercase',
      'input:3:1: error: unknown flag "--arch"; only --platform is supported',
    ]);
  });
});

describe("removeEntries", () => {
  it("removes matching lines only, keeping comments and the other bytes", () => {
    const text = "# list\nnginx:1.26   # web\n\n  redis:7\ndocker.io/library/nginx:1.26\nalpine\n";
    const result = removeEntries(text, ["docker.io/library/nginx:1.26"]);
    expect(result.text).toBe("# list\n\n  redis:7\nalpine\n");
    expect(result.removed).toEqual(["docker.io/library/nginx:1.26"]);
  });

  it("keeps CRLF line endings", () => {
    const text = "nginx\r\nredis\r\n# end\r\n";
    expect(removeEntries(text, ["redis"]).text).toBe("nginx\r\n# end\r\n");
  });

  it("removes a last line that has no newline and leaves the rest alone", () => {
    expect(removeEntries("nginx\nredis", ["redis:latest"]).text).toBe("nginx\n");
    expect(removeEntries("nginx\nredis", ["nginx"]).text).toBe("redis");
  });

  it("matches platform and target exactly after normalization", () => {
    const text = "--platform=linux/arm64 redis\nredis\nredis --platform=linux/amd64\ngitea => a/gitea\ngitea\n";
    expect(removeEntries(text, ["redis --platform linux/aarch64/v8", "gitea=>a/gitea"]).text).toBe(
      "redis\nredis --platform=linux/amd64\ngitea\n",
    );
  });

  it("keeps a BOM when the first line is removed", () => {
    expect(removeEntries("\uFEFFnginx\nredis\n", ["nginx"]).text).toBe("\uFEFFredis\n");
  });

  it("reports only the given lines that matched, and returns the same text when none did", () => {
    const text = "nginx\n";
    expect(removeEntries(text, ["redis", "busybox"])).toEqual({ text, removed: [] });
    expect(removeEntries("nginx\nredis\n", ["  redis  ", "busybox"]).removed).toEqual(["redis"]);
  });

  it("throws and changes nothing when a given line is invalid", () => {
    expect(() => removeEntries("nginx\n", ["nginx", "--platform=linux/amd65 nginx"])).toThrow(
      'cannot remove entries, nothing was changed; invalid line:\n  "--platform=linux/amd65 nginx": column 18: unknown architecture "amd65" in platform "linux/amd65"',
    );
  });
});

describe("detectLineEnding", () => {
  it.each([
    ["a\r\nb\n", "\r\n"],
    ["a\nb\r\n", "\n"],
    ["a", "\n"],
    ["", "\n"],
  ])("%j -> %j", (text, eol) => {
    expect(detectLineEnding(text)).toBe(eol);
  });
});
