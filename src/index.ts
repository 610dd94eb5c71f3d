import type { Probot } from "probot";

/** The Probot app function: `probot run` and the Actions adapter load this. */
export default function app(probot: Probot): void {
  probot.log.info("mirrorbot loaded");
}
