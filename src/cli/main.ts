#!/usr/bin/env node
// Placeholder entry point; the commands land with the foundation issue.
console.error("mirrorbot: no command yet");
process.exit(2);
