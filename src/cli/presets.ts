/**
 * Target presets for `mirrorbot init`, one per registry documented in docs/registries.md:
 * the host (or its pattern), the naming the registry needs, and the secret names the
 * mirror workflow already maps.
 */

/** What `init` needs to know about one kind of registry. */
export interface Preset {
  readonly id: string;
  readonly label: string;
  /** A fixed host, or null when each account has its own (then `example` shows its form). */
  readonly registry: string | null;
  readonly example: string;
  /** What the namespace is called there, for the question. */
  readonly namespaceHint: string;
  readonly style: "flat" | "nested";
  readonly usernameEnv: string;
  readonly passwordEnv: string;
  /** Where the username and password come from, said once per secret. */
  readonly usernameHelp: string;
  readonly passwordHelp: string;
  /** The section of docs/registries.md. */
  readonly doc: string;
  /** True when the mirror workflow fills the variables itself (GHCR with GITHUB_TOKEN). */
  readonly filledByWorkflow?: boolean;
}

export const PRESETS: readonly Preset[] = [
  {
    id: "acr-personal", label: "Aliyun ACR, personal edition", registry: null, example: "registry.cn-hangzhou.aliyuncs.com",
    namespaceHint: "ACR namespace (one level)", style: "flat", usernameEnv: "ALIYUN_USERNAME", passwordEnv: "ALIYUN_PASSWORD",
    usernameHelp: "your Aliyun account name", passwordHelp: "the registry password set under the instance's access credentials",
    doc: "aliyun-container-registry-acr-personal-edition",
  },
  {
    id: "acr-enterprise", label: "Aliyun ACR, enterprise edition", registry: null, example: "myinstance-registry.cn-hangzhou.cr.aliyuncs.com",
    namespaceHint: "ACR namespace", style: "nested", usernameEnv: "ALIYUN_USERNAME", passwordEnv: "ALIYUN_PASSWORD",
    usernameHelp: "the instance's access credentials user", passwordHelp: "the instance's fixed password",
    doc: "aliyun-acr-enterprise-edition",
  },
  {
    id: "harbor", label: "Harbor", registry: null, example: "harbor.example.com",
    namespaceHint: "Harbor project", style: "nested", usernameEnv: "HARBOR_USERNAME", passwordEnv: "HARBOR_PASSWORD",
    usernameHelp: "a robot account with push access to the project (robot$...)", passwordHelp: "the robot account's secret",
    doc: "harbor",
  },
  {
    id: "ghcr", label: "GitHub Container Registry (GHCR)", registry: "ghcr.io", example: "ghcr.io",
    namespaceHint: "GitHub user or organization", style: "nested", usernameEnv: "GHCR_USERNAME", passwordEnv: "GHCR_TOKEN",
    usernameHelp: "your GitHub login", passwordHelp: "a token with write:packages (the workflow uses its own GITHUB_TOKEN)",
    doc: "github-container-registry-ghcr", filledByWorkflow: true,
  },
  {
    id: "swr", label: "Huawei Cloud SWR", registry: null, example: "swr.cn-north-4.myhuaweicloud.com",
    namespaceHint: "SWR organization", style: "flat", usernameEnv: "TARGET_USERNAME", passwordEnv: "TARGET_PASSWORD",
    usernameHelp: "the long-term login command's user (region@AK)", passwordHelp: "the long-term login key",
    doc: "huawei-cloud-software-repository-for-container-swr",
  },
  {
    id: "tcr", label: "Tencent TCR, personal edition", registry: "ccr.ccs.tencentyun.com", example: "ccr.ccs.tencentyun.com",
    namespaceHint: "TCR namespace (one level)", style: "flat", usernameEnv: "TARGET_USERNAME", passwordEnv: "TARGET_PASSWORD",
    usernameHelp: "your Tencent Cloud account ID", passwordHelp: "the registry password set in the TCR console",
    doc: "tencent-container-registry-tcr-personal-edition",
  },
  {
    id: "tcr-enterprise", label: "Tencent TCR, enterprise edition", registry: null, example: "myinstance.tencentcloudcr.com",
    namespaceHint: "TCR namespace", style: "nested", usernameEnv: "TARGET_USERNAME", passwordEnv: "TARGET_PASSWORD",
    usernameHelp: "the instance's access credentials user", passwordHelp: "the instance's access token",
    doc: "tencent-tcr-enterprise-edition",
  },
  {
    id: "azure", label: "Azure Container Registry", registry: null, example: "myregistry.azurecr.io",
    namespaceHint: "path under the registry (may be empty)", style: "nested", usernameEnv: "TARGET_USERNAME", passwordEnv: "TARGET_PASSWORD",
    usernameHelp: "a service principal's application id (AcrPush role) or a token name", passwordHelp: "its secret",
    doc: "azure-container-registry-acr",
  },
  {
    id: "dockerhub", label: "Docker Hub", registry: "docker.io", example: "docker.io",
    namespaceHint: "Docker ID or organization", style: "flat", usernameEnv: "DOCKERHUB_USERNAME", passwordEnv: "DOCKERHUB_TOKEN",
    usernameHelp: "your Docker ID", passwordHelp: "a personal access token with Read & Write",
    doc: "docker-hub",
  },
  {
    id: "other", label: "another registry (distribution, Nexus, Quay, ...)", registry: null, example: "registry.example.com",
    namespaceHint: "path under the registry", style: "nested", usernameEnv: "TARGET_USERNAME", passwordEnv: "TARGET_PASSWORD",
    usernameHelp: "the registry user", passwordHelp: "its password or token",
    doc: "naming-flat-or-nested",
  },
];

/** Variables the Sync step of .github/workflows/mirror.yml already maps from secrets. */
export const WORKFLOW_MAPPED_ENV: ReadonlySet<string> = new Set([
  "TARGET_USERNAME", "TARGET_PASSWORD", "ALIYUN_USERNAME", "ALIYUN_PASSWORD", "DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN", "GHCR_USERNAME", "GHCR_TOKEN",
]);

/** The preset with this id, or undefined. */
export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
