/**
 * Fold line breaks into spaces. Text from a registry printed on a line of its own could start
 * with "::" and be run as a workflow command by GitHub Actions, and a task's line must stay one line.
 */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ");
}

/** Replace every occurrence of each secret with `***`; callers pass every form that may appear (raw, base64). */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would shred ordinary words; they are not meaningful secrets anyway.
    if (secret.length < 4) continue;
    out = out.split(secret).join("***");
  }
  return out;
}
