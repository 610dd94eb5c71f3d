/**
 * Line splitting for text people type into GitHub (comments, issue forms, dispatch inputs).
 * Unicode (UAX #14 mandatory breaks) and JavaScript's own `$` and `\s` treat more than CR and LF
 * as line terminators; splitting on fewer leaves a command glued to the text before it, where
 * it is silently ignored.
 */

/** CR LF, or any one of LF, VT, FF, CR, NEL (U+0085), LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029). */
export const LINE_BREAK_RE = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/;

/**
 * The lines of `text`, split on every line terminator.
 * @example splitLines("/sync a\u2028/sync b") // ["/sync a", "/sync b"]
 */
export function splitLines(text: string): string[] {
  return text.split(new RegExp(LINE_BREAK_RE.source, "g"));
}
