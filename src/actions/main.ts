/**
 * The Actions-mode entry: `node dist/src/actions/main.js` handles the event of the current
 * run; `node dist/src/actions/main.js report-run` reports the mirror run it ends. See
 * docs/actions-mode.md and .github/workflows/bot.yml.
 */
import { runStep } from "./step.js";

process.exitCode = await runStep(process.argv.slice(2), { env: process.env, stdout: process.stdout });
