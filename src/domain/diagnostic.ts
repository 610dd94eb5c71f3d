import { displayMessage } from "./display.js";

/** One problem found in an input file, located to the character. */
export interface Diagnostic {
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  severity: "error" | "warning";
  message: string;
}

/** Compiler-style one-line form; quoted input is cut and hidden characters escaped. @example formatDiagnostic(d) // "images.txt:3:1: error: unknown flag \"--arch\"" */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${displayMessage(d.message)}`;
}

/** Order by file, then line, then column (stable for ties). */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
}

/** True when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
