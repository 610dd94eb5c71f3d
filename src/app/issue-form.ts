/**
 * The body of an issue opened from `.github/ISSUE_TEMPLATE/mirror.yml`. GitHub renders each
 * form field as a `### Label` heading followed by its value, and writes `_No response_` for
 * an optional field left empty; a field with `render:` arrives wrapped in a code fence.
 */

import { splitLines } from "../domain/lines.js";

/** Labels of the issue form fields; `.github/ISSUE_TEMPLATE/mirror.yml` uses exactly these. */
export const FORM_LABELS = { images: "Images", platform: "Platform" } as const;

/** The label GitHub puts on issues opened from the form. */
export const REQUEST_LABEL = "mirror";

/** What a mirror request issue asks for. */
export interface IssueForm {
  /** Non-empty lines of the images field, in images.txt syntax, comments and blanks dropped. */
  readonly images: string[];
  /** Platforms from the platform field (comma or space separated), as written. */
  readonly platforms: string[];
}

const NO_RESPONSE = "_No response_";

/**
 * Read the form fields out of an issue body; `null` when the body has no images section.
 * @example readIssueForm("### Images\n\n```text\nnginx:1.26\n```\n\n### Platform\n\n_No response_")
 *   // { images: ["nginx:1.26"], platforms: [] }
 */
export function readIssueForm(body: string | null | undefined): IssueForm | null {
  const sections = splitSections(body ?? "");
  const images = sections.get(FORM_LABELS.images.toLowerCase());
  if (images === undefined) return null;
  const platform = sections.get(FORM_LABELS.platform.toLowerCase()) ?? "";
  return {
    images: splitLines(images)
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#")),
    platforms: platform.split(/[\s,]+/).filter((p) => p !== ""),
  };
}

/** `### Label` sections keyed by lowercased label, values unwrapped from a fence and trimmed. */
function splitSections(body: string): Map<string, string> {
  const sections = new Map<string, string>();
  let label: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (label !== null && !sections.has(label)) sections.set(label, unwrap(lines));
  };
  for (const line of splitLines(body)) {
    const heading = /^###\s+(.+?)\s*$/.exec(line);
    if (heading) {
      flush();
      label = heading[1]!.toLowerCase();
      lines = [];
    } else {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

/** The value of one section: empty for `_No response_`, without a surrounding code fence. */
function unwrap(lines: string[]): string {
  const text = lines.join("\n").trim();
  if (text === NO_RESPONSE) return "";
  const fenced = /^(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n?\1\s*$/.exec(text);
  return (fenced ? fenced[2]! : text).trim();
}
