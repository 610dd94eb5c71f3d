import type { Probot } from "probot";
import { createApp } from "./app/app.js";

/**
 * The Probot app function: `probot run` and the Actions adapter load this. Loading it only
 * registers handlers; it reads no environment and opens nothing.
 */
export default function mirrorbot(probot: Probot): void {
  createApp()(probot);
}
