/**
 * Every relative link and #anchor in the READMEs and docs/ resolves: the file exists, and the
 * anchor is one GitHub generates for a heading of that file (or an explicit <a id>/<a name>).
 * GitHub's slug rules (github-slugger): the heading's text, lowercased, with everything but
 * letters, marks, numbers, "_", "-" and spaces removed, spaces turned into "-", and "-1",
 * "-2", ... appended to repeats. Chinese headings keep their characters.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function markdownFiles(): string[] {
  const files = readdirSync(ROOT).filter((f) => /^README.*\.md$/.test(f)).map((f) => join(ROOT, f));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith(".md")) files.push(path);
    }
  };
  walk(join(ROOT, "docs"));
  return files.sort();
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function prose(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let fence: string | null = null;
  text.split("\n").forEach((line, i) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== null) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
      return;
    }
    if (marker) {
      fence = marker;
      return;
    }
    out.push({ line: i + 1, text: line });
  });
  return out;
}

/** GitHub's anchor for a heading's Markdown text. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images keep their text
    .replace(/<[^>]+>/g, "") // inline HTML
    .replace(/`/g, "");
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a file offers: heading slugs with GitHub's "-N" for repeats, and explicit ids. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { text } of prose(readFileSync(file, "utf8"))) {
    for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Link targets on a line, code spans removed first. */
function targets(line: string): string[] {
  const text = line.replace(/`[^`]*`/g, "");
  const found: string[] = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push(m[1]!);
  const ref = /^\s*\[[^\]]+\]:\s*(\S+)/.exec(text);
  if (ref) found.push(ref[1]!);
  return found;
}

describe("links in README*.md and docs/", () => {
  it("computes GitHub's anchors, Chinese headings included", () => {
    expect(slug("Actions mode (\"fork and go\")")).toBe("actions-mode-fork-and-go");
    expect(slug("images.txt")).toBe("imagestxt");
    expect(slug("`mirrorbot init`: set up a target")).toBe("mirrorbot-init-set-up-a-target");
    expect(slug("Actions 模式")).toBe("actions-模式");
    expect(slug("认证失败 authentication failed")).toBe("认证失败-authentication-failed");
    expect(slug("快速开始：两条命令")).toBe("快速开始两条命令");
  });

  const files = markdownFiles();
  it("finds the READMEs and the docs", () => {
    expect(files.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(["README.md", "README.zh-CN.md", "docs/app.md"]));
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))("%s: every relative link and anchor resolves", (_name, file) => {
    const broken: string[] = [];
    for (const { line, text } of prose(readFileSync(file, "utf8"))) {
      for (const target of targets(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [rawPath = "", anchor] = target.split("#", 2);
        const path = decodeURIComponent(rawPath);
        const linked = path === "" ? file : resolve(dirname(file), path);
        if (!linked.startsWith(ROOT) || !existsSync(linked)) {
          broken.push(`${line}: ${target}: no such file`);
          continue;
        }
        if (anchor === undefined || anchor === "") continue;
        if (!linked.endsWith(".md")) continue; // line anchors in code files are GitHub's own
        if (!anchors(linked).has(decodeURIComponent(anchor))) broken.push(`${line}: ${target}: no such anchor`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("the READMEs as front pages", () => {
  it.each(["README.md", "README.zh-CN.md"])("%s stays short and gives, in a sh block, the exact test command .ci/run runs", (name) => {
    const text = readFileSync(join(ROOT, name), "utf8");
    expect(text.split("\n").length).toBeLessThanOrEqual(300);
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
    const command = /^(npm test)$/m.exec(ci)?.[1];
    expect(command).toBe("npm test");
    expect(text).toContain("```sh\nnpm test\n```");
    // The first command on the page is the one a newcomer runs: it must set something up.
    expect(/```sh\n([^\n]+)\n```/.exec(text)?.[1]).toBe("npm ci && npx mirrorbot init");
  });
});
