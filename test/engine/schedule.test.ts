import { describe, expect, it } from "vitest";
import { BlobLedger } from "../../src/engine/blob-ledger.js";
import { blobsToUpload, canStart, pickNext, type SchedulableJob } from "../../src/engine/schedule.js";

const base = { digest: "sha256:base", size: 20 };
const runtime = { digest: "sha256:runtime", size: 10 };
const own = (n: number) => ({ digest: `sha256:own${n}`, size: 5 });

function jobs(ledger: BlobLedger): SchedulableJob[] {
  return [
    { id: 0, target: "t", repo: "m/a", ledger, blobs: [base, own(0)] },
    { id: 1, target: "t", repo: "m/b", ledger, blobs: [base, runtime, own(1)] },
    { id: 2, target: "t", repo: "m/c", ledger, blobs: [base, runtime, own(2)] },
    { id: 3, target: "t", repo: "m/d", ledger, blobs: [own(3)] },
  ];
}

describe("blob scheduling", () => {
  it("starts first the job that unblocks the most waiting work per byte it uploads", () => {
    // a uploads 25, and its base (20) is wanted by 2 others: 40 / 25 = 1.6 per byte.
    // b and c upload 35, with base x 2 + runtime x 1 = 50 shared: 1.43. d shares nothing.
    const ledger = new BlobLedger();
    expect(pickNext(jobs(ledger))?.id).toBe(0);
  });

  it("a multi-arch image waits behind a small image carrying the same shared base", () => {
    const ledger = new BlobLedger();
    const arm = { digest: "sha256:base-arm64", size: 20 };
    const waiting: SchedulableJob[] = [
      { id: 0, target: "t", repo: "m/nginx", ledger, blobs: [base, arm, own(0)] },
      { id: 1, target: "t", repo: "m/alpine", ledger, blobs: [base, own(1)] },
      ...[2, 3, 4].map((id) => ({ id, target: "t", repo: `m/app${id}`, ledger, blobs: [base, own(id)] })),
    ];
    // nginx: 4 x 20 shared for 45 uploaded (1.8); alpine: 4 x 20 for 25 (3.2). Others tie alpine.
    expect(pickNext(waiting)?.id).toBe(1);
  });

  it("holds back jobs that would upload a blob already in flight, but not unrelated ones", () => {
    const ledger = new BlobLedger();
    const all = jobs(ledger);
    ledger.claim(1, blobsToUpload(all[1]!).map((b) => b.digest));
    expect(all.map(canStart)).toEqual([false, true, false, true]);
    expect(pickNext([all[0]!, all[2]!, all[3]!])?.id).toBe(3);
  });

  it("once a blob is in the target, others mount instead of uploading, and may start", () => {
    const ledger = new BlobLedger();
    const all = jobs(ledger);
    ledger.claim(1, ["sha256:base", "sha256:runtime", "sha256:own1"]);
    for (const b of all[1]!.blobs) ledger.record(b.digest, "m/b");
    ledger.release(1);
    expect(blobsToUpload(all[2]!)).toEqual([own(2)]);
    expect(canStart(all[0]!)).toBe(true);
    expect(ledger.sourceFor("sha256:base")).toBe("m/b");
  });

  it("mounts from the repository sharing the most of the path, and never again from one that refused", () => {
    const ledger = new BlobLedger();
    for (const repo of ["team-b/base", "team-a/tools/base", "team-a/base"]) ledger.record("sha256:base", repo);
    expect(ledger.sourceFor("sha256:base", "team-a/app")).toBe("team-a/tools/base");
    expect(ledger.sourceFor("sha256:base", "team-b/app")).toBe("team-b/base");
    ledger.refuse("sha256:base", "team-b/base");
    expect(ledger.sourceFor("sha256:base", "team-b/app")).toBe("team-a/tools/base");
  });

  it("a blob no repository will lend is one to upload, claimed like any other", () => {
    const ledger = new BlobLedger();
    const all = jobs(ledger);
    ledger.record("sha256:base", "m/old");
    expect(blobsToUpload(all[0]!).map((b) => b.digest)).not.toContain("sha256:base");
    ledger.refuse("sha256:base", "m/old");
    expect(blobsToUpload(all[0]!).map((b) => b.digest)).toContain("sha256:base");
    ledger.claim(all[0]!.id, ["sha256:base"]);
    expect(canStart(all[1]!)).toBe(false);
  });

  it("a failed upload's claim is released so another job can take it over", () => {
    const ledger = new BlobLedger();
    const all = jobs(ledger);
    ledger.claim(1, ["sha256:base"]);
    expect(canStart(all[0]!)).toBe(false);
    ledger.release(1);
    expect(canStart(all[0]!)).toBe(true);
  });

  it("never starts a second copy into a repository that has one in flight", () => {
    const ledger = new BlobLedger();
    const sameRepo = [
      { id: 7, target: "t", repo: "m/nginx", ledger, blobs: [own(7)] },
      { id: 8, target: "t", repo: "m/redis", ledger, blobs: [own(8)] },
    ];
    expect(pickNext(sameRepo, new Set(["t/m/nginx"]))?.id).toBe(8);
    expect(pickNext(sameRepo, new Set(["t/m/nginx", "t/m/redis"]))).toBeUndefined();
    expect(pickNext(sameRepo, new Set(["other/m/nginx", "t/m/redis"]))?.id).toBe(7);
  });
});


describe("copy concurrency", () => {
  it("auto picks 4 for a near source and 8 for a far one; a number is kept", async () => {
    const { copyConcurrency } = await import("../../src/engine/run.js");
    expect(copyConcurrency("auto", 3)).toBe(4);
    expect(copyConcurrency("auto", 210)).toBe(8);
    expect(copyConcurrency(2, 210)).toBe(2);
  });
});
