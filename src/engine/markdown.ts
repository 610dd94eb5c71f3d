/** Markdown text from untrusted sources (registry errors, request text) that GitHub must not turn into links. */

/**
 * Stop GitHub's autolinks in plain text: "www.x" and "scheme://x" become links even when all
 * Markdown is escaped; an escaped "." or ":" is shown as is and links nothing.
 * @example noAutolinks("see https://evil.example") // "see https\\://evil.example"
 */
export function noAutolinks(text: string): string {
  return text.replace(/\b(www)\./gi, "$1\\.").replace(/\b(https?|ftp):\/\//gi, "$1\\://");
}
