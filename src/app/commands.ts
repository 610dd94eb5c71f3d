/**
 * Slash commands in a comment body. A command counts only at the start of a line of prose:
 * lines inside fenced code blocks, indented code blocks and block quotes are never commands,
 * so quoting someone's `/sync` in a reply cannot trigger it again.
 */
import { ruleEnd } from "../domain/tag-rule.js";

import { splitLines } from "../domain/lines.js";

/** `/sync IMAGE [IMAGE ...] [--platform=os/arch[,os/arch]]`: images in images.txt syntax. */
export interface SyncCommand {
  readonly kind: "sync";
  /** 1-based line of the comment the command is on. */
  readonly line: number;
  /** Each image as written; a rename keeps its arrow: "gitea/gitea:1.20 => tools/gitea:1.20". */
  readonly images: string[];
  /** Platforms from `--platform`, as written (validated later); they apply to this line's images. */
  readonly platforms: string[];
  /** What could not be read on this line, in words for the reply. */
  readonly problems: string[];
}

/** `/retry`: sync again what failed in the issue's last request. */
export interface RetryCommand {
  readonly kind: "retry";
  readonly line: number;
}

/** `/approve [REQUEST]`: a maintainer accepts the pending request of the issue, or the one named. */
export interface ApproveCommand {
  readonly kind: "approve";
  readonly line: number;
  /** The request id given after the command (backticks allowed); absent when none was. */
  readonly request?: string;
}

export type Command = SyncCommand | RetryCommand | ApproveCommand;

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})/;
const QUOTE_RE = /^ {0,3}>/;
const COMMAND_RE = /^ {0,3}\/(sync|retry|approve)(?=\s|$)(.*)$/;
/** A request id as the status comment shows it, optionally in backticks: "8-1772359200". */
const REQUEST_ARG_RE = /^`?(\d+-[A-Za-z0-9]+)`?$/;
/** An unknown option is quoted back cut to this many characters: the reply must stay readable. */
const MAX_OPTION_SHOWN = 40;

/**
 * Every command in a comment body, in order of appearance.
 * @example parseCommands("Please:\n/sync nginx:1.26 --platform=linux/arm64\n> /sync quoted:1")
 *   // [{ kind: "sync", line: 2, images: ["nginx:1.26"], platforms: ["linux/arm64"], problems: [] }]
 */
export function parseCommands(body: string): Command[] {
  const commands: Command[] = [];
  let fence: string | null = null;
  const lines = splitLines(body);
  lines.forEach((text, index) => {
    const fenceMatch = FENCE_RE.exec(text);
    if (fence !== null) {
      // A fence closes only with the same character, at least as long, and nothing after it.
      const marker = fenceMatch?.[1];
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && text.trim() === marker) fence = null;
      return;
    }
    if (fenceMatch?.[1]) {
      fence = fenceMatch[1];
      return;
    }
    if (QUOTE_RE.test(text)) return;
    const match = COMMAND_RE.exec(text);
    if (!match) return;
    const line = index + 1;
    const name = match[1];
    if (name === "retry") commands.push({ kind: "retry", line });
    else if (name === "approve") commands.push(parseApprove(match[2] ?? "", line));
    else commands.push(parseSync(match[2] ?? "", line));
  });
  return commands;
}

/** `/approve` and the request id after it, if its first word is one (other words are prose). */
function parseApprove(rest: string, line: number): ApproveCommand {
  const first = rest.trim().split(/\s+/)[0] ?? "";
  const request = REQUEST_ARG_RE.exec(first)?.[1];
  return request === undefined ? { kind: "approve", line } : { kind: "approve", line, request };
}

/**
 * Words of a `/sync` line; a tag set `nginx:{semver >=1.26 <1.28}` is one word, spaces and all.
 * @example words("nginx:{semver ^1, !v*} redis:7") // ["nginx:{semver ^1, !v*}", "redis:7"]
 */
function words(rest: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < rest.length) {
    if (/\s/.test(rest[i]!)) {
      i++;
      continue;
    }
    const end = i + (/^\S+/.exec(rest.slice(i))?.[0].length ?? 1);
    const brace = rest.indexOf(":{", i);
    if (brace !== -1 && brace < end) {
      const close = ruleEnd(rest, brace + 1);
      const stop = close === -1 ? rest.length : close + 1;
      out.push(rest.slice(i, stop).trimEnd());
      i = stop;
      continue;
    }
    out.push(rest.slice(i, end));
    i = end;
  }
  return out;
}

/** The arguments of one `/sync` line. */
function parseSync(rest: string, line: number): SyncCommand {
  const images: string[] = [];
  const platforms: string[] = [];
  const problems: string[] = [];
  const tokens = words(rest);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--platform" || token.startsWith("--platform=")) {
      const value = token === "--platform" ? tokens[++i] : token.slice("--platform=".length);
      if (value === undefined || value === "") problems.push("`--platform` needs a value such as `--platform=linux/arm64`");
      else platforms.push(...value.split(",").filter((p) => p !== ""));
    } else if (token.startsWith("-")) {
      const shown = token.length > MAX_OPTION_SHOWN ? `${token.slice(0, MAX_OPTION_SHOWN - 1)}…` : token;
      problems.push(`unknown option \`${shown.replace(/`/g, "'")}\`; only \`--platform=os/arch\` is understood`);
    } else if (token === "=>") {
      // "source => target" spread over three tokens is one renamed image.
      const source = images.pop();
      const target = tokens[i + 1];
      if (source === undefined || target === undefined || target.startsWith("-")) {
        problems.push("`=>` needs an image on each side, e.g. `gitea/gitea:1.20 => tools/gitea:1.20`");
        if (source !== undefined) images.push(source);
      } else {
        images.push(`${source} => ${target}`);
        i++;
      }
    } else {
      images.push(token);
    }
  }
  return { kind: "sync", line, images, platforms, problems };
}
