import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { FORM_LABELS, readIssueForm, REQUEST_LABEL } from "../../src/app/issue-form.js";

describe("readIssueForm", () => {
  it("reads the images field from its code fence and the platform field", () => {
    const body = "### Images\n\n```text\nnginx:1.26\n\n# a comment\nredis:7 # cache\n```\n\n### Platform\n\nlinux/amd64, linux/arm64\n";
    expect(readIssueForm(body)).toEqual({ images: ["nginx:1.26", "redis:7 # cache"], platforms: ["linux/amd64", "linux/arm64"] });
  });

  it("splits the form on every Unicode line terminator", () => {
    const body = "### Images\u2028\u2028```text\u2028nginx:1.26\u2029redis:7\u0085```\u2028\u2028### Platform\u2028\u2028linux/arm64";
    expect(readIssueForm(body)).toEqual({ images: ["nginx:1.26", "redis:7"], platforms: ["linux/arm64"] });
  });

  it("treats _No response_ as empty", () => {
    expect(readIssueForm("### Images\n\nnginx:1.26\n\n### Platform\n\n_No response_")).toEqual({ images: ["nginx:1.26"], platforms: [] });
    expect(readIssueForm("### Images\n\n_No response_")).toEqual({ images: [], platforms: [] });
  });

  it("is null for a body that is not the form", () => {
    expect(readIssueForm("Please mirror nginx")).toBeNull();
    expect(readIssueForm(null)).toBeNull();
  });

  it("matches the labels and the label of .github/ISSUE_TEMPLATE/mirror.yml", () => {
    const form = parse(readFileSync(new URL("../../.github/ISSUE_TEMPLATE/mirror.yml", import.meta.url), "utf8"));
    const labels = form.body.filter((f: any) => f.type !== "markdown").map((f: any) => f.attributes.label);
    expect(labels).toEqual([FORM_LABELS.images, FORM_LABELS.platform]);
    expect(form.labels).toEqual([REQUEST_LABEL]);
  });
});
