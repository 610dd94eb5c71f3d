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
