import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { onInterrupt } from "../../src/cli/interrupt.js";

describe("onInterrupt", () => {
  it("cleans up once, then ends the process by the same signal", () => {
    const signals = new EventEmitter();
    const calls: string[] = [];
    onInterrupt(() => calls.push("cleanup"), { signals, kill: (pid, signal) => calls.push(`kill ${pid === process.pid ? "self" : pid} ${signal}`) });
    signals.emit("SIGTERM", "SIGTERM");
    signals.emit("SIGINT", "SIGINT");
    expect(calls).toEqual(["cleanup", "kill self SIGTERM"]);
    expect(["SIGINT", "SIGTERM", "SIGHUP"].map((s) => signals.listenerCount(s))).toEqual([0, 0, 0]);
  });

  it("ends the process even when the cleanup throws", () => {
    const signals = new EventEmitter();
    const killed: string[] = [];
    onInterrupt(() => { throw new Error("disk gone"); }, { signals, kill: (_pid, signal) => killed.push(signal) });
    expect(() => signals.emit("SIGHUP", "SIGHUP")).toThrow("disk gone");
    expect(killed).toEqual(["SIGHUP"]);
  });

  it("does nothing once released", () => {
    const signals = new EventEmitter();
    const calls: string[] = [];
    const release = onInterrupt(() => calls.push("cleanup"), { signals, kill: () => calls.push("kill") });
    release();
    signals.emit("SIGINT", "SIGINT");
    expect(calls).toEqual([]);
    expect(signals.listenerCount("SIGINT")).toBe(0);
  });
});
