/**
 * Text people typed, made safe to echo in a diagnostic, a log line or a reply: long input is
 * cut (a 100 kB line must not flood a terminal or a comment), and characters that are
 * invisible or reorder text (zero-width, bidi overrides and isolates: "Trojan Source") are
 * shown as `\u{…}` escapes, so what a reader sees is what was written.
 */

/** How much of one piece of input is echoed. */
export const MAX_ECHOED = 200;

/**
 * C0/C1 controls other than tab and LF, soft hyphen, Arabic letter mark, Mongolian vowel
 * separator, zero-width and directional marks (U+200B–U+200F), line/paragraph separators and
 * bidi embeddings/overrides (U+2028–U+202E), word joiner, invisible operators and bidi
 * isolates (U+2060–U+206F), the byte order mark / zero-width no-break space (U+FEFF),
 * interlinear annotation marks (U+FFF9–U+FFFB) and Unicode tag characters (U+E0000–U+E007F).
 */
const HIDDEN_RE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB\u{E0000}-\u{E007F}]/gu;

/**
 * Every invisible or text-reordering character as a visible escape.
 * @example escapeHidden("nginx\u202E:1") // "nginx\\u{202E}:1"
 */
export function escapeHidden(text: string): string {
  return text.replace(HIDDEN_RE, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}}`);
}

/**
 * At most `max` characters (code points, never half a surrogate pair) of `text`, with "…" when cut.
 * @example capText("a".repeat(300)).length // 201
 */
export function capText(text: string, max = MAX_ECHOED): string {
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max).join("")}…`;
}

/** One piece of input as it may be echoed: cut, then escaped. */
export function shown(text: string, max = MAX_ECHOED): string {
  return escapeHidden(capText(text, max));
}

const QUOTED_RE = /"(?:[^"\\]|\\.)*"/g;

/**
 * A message of ours that quotes input JSON-style ("…"), ready to print: each quoted piece is
 * cut to {@link MAX_ECHOED} characters, the whole to a few of them, and hidden characters are
 * escaped everywhere.
 * @example displayMessage(`invalid reference "${"a".repeat(1000)}": too long`) // 'invalid reference "aaa…": too long' (200 a's)
 */
export function displayMessage(message: string): string {
  const cut = message.replace(QUOTED_RE, (quoted) => {
    if (quoted.length <= MAX_ECHOED + 2) return quoted;
    try {
      return JSON.stringify(capText(String(JSON.parse(quoted))));
    } catch {
      return `${capText(quoted)}"`;
    }
  });
  return shown(cut, MAX_ECHOED * 4);
}
