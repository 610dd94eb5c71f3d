/**
 * The repository's `.github/mirrorbot.yml`, read raw from the default branch (never from a
 * pull request, so a PR cannot loosen the policy it is checked against).
 */
import { ConfigError, DEFAULT_CONFIG_PATH, defaultConfig, parseConfig, type Config } from "../../domain/config.js";
import { httpStatus, type Octokit, type Repo } from "./client.js";

/** The config, or the error that names each broken key. */
export type ConfigRead = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly error: ConfigError };

/** Read and validate the config; no file means the defaults. */
export async function readConfig(octokit: Octokit, repo: Repo): Promise<ConfigRead> {
  let text: string;
  try {
    const { data } = await octokit.rest.repos.getContent({ ...repo, path: DEFAULT_CONFIG_PATH, mediaType: { format: "raw" } });
    text = rawText(data);
  } catch (err) {
    if (httpStatus(err) === 404) return { ok: true, config: defaultConfig() };
    throw err;
  }
  try {
    return { ok: true, config: parseConfig(text, DEFAULT_CONFIG_PATH) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, error: err };
    throw err;
  }
}

/** A raw-format contents answer is text, or bytes when the server names no charset. */
export function rawText(data: unknown): string {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  return "";
}
