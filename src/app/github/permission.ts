/** Whether a sender may sync directly: their repository role against `policy.syncPermission`. */
import { httpStatus, type Octokit, type Repo } from "./client.js";

/** Repository roles, weakest first. */
export const ROLES = ["none", "read", "triage", "write", "maintain", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * The sender's role. `role_name` tells maintain and triage apart (the legacy `permission`
 * field folds them into write and read); a custom role falls back to its base permission.
 */
export async function getRole(octokit: Octokit, repo: Repo, username: string): Promise<Role> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
    const role = (ROLES as readonly string[]).find((r) => r === data.role_name);
    if (role) return role as Role;
    return (ROLES as readonly string[]).includes(data.permission) ? (data.permission as Role) : "none";
  } catch (err) {
    if (httpStatus(err) === 404) return "none";
    throw err;
  }
}

/** True when `have` is at least `need`. @example permits("maintain", "write") // true */
export function permits(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
