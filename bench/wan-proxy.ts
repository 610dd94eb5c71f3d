/**
 * A TCP proxy on 127.0.0.1 that makes a loopback registry look like one across a WAN link:
 * a fixed one-way delay per direction and a rate cap per direction shared by all connections
 * (one link, as a runner's uplink is one link).
 *
 * Each direction is a `Link`: a chunk's transmission ends when the rate limiter (a token bucket
 * written in virtual-time form, GCRA) lets it through, and it is delivered `delayMs` later.
 * Deliveries are in send order, so throughput is the rate and not one chunk per delay. A new
 * connection also pays one round trip before its first byte moves, like a TCP handshake.
 * Senders are paused while the link holds more than a bounded backlog, so memory stays
 * bounded whatever the upstream's speed.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

/** Link parameters; the bench uses 50 ms each way and 100 Mbit/s. */
export interface WanOptions {
  /** One-way delay per direction, in ms (RTT is twice this). */
  delayMs: number;
  /** Rate cap per direction, in bytes per second. */
  bytesPerSecond: number;
  /** Token bucket depth: bytes that may pass at once after an idle spell. */
  burstBytes?: number;
  /** Bytes a link may hold (in transmission or in flight) before senders are paused. */
  backlogBytes?: number;
}

/** A running proxy. */
export interface WanProxy {
  /** "127.0.0.1:PORT": use it as the registry host. */
  host: string;
  /** Bytes carried so far towards the upstream and back. */
  stats(): { connections: number; bytesUp: number; bytesDown: number };
  /** Close the listener and every connection. Safe to call twice. */
  close(): Promise<void>;
}

interface Pending {
  at: number;
  bytes: number;
  deliver: () => void;
}

/** One direction of the link: a rate limiter, a delay line, and a bounded backlog. */
class Link {
  private tat = 0; // the token bucket's theoretical arrival time, in ms
  private readonly queue: Pending[] = [];
  private head = 0;
  private held = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly drainWaiters = new Set<() => void>();
  carried = 0;

  constructor(
    private readonly msPerByte: number,
    private readonly delayMs: number,
    private readonly burstMs: number,
    private readonly backlog: number,
  ) {}

  /** Queue `bytes`; `deliver` runs when they arrive. False when the sender should pause. */
  send(bytes: number, deliver: () => void): boolean {
    const now = performance.now();
    this.tat = Math.max(this.tat, now) + bytes * this.msPerByte;
    const sentAt = Math.max(now, this.tat - this.burstMs);
    this.queue.push({ at: sentAt + this.delayMs, bytes, deliver });
    this.held += bytes;
    this.carried += bytes;
    this.arm();
    return !this.congested();
  }

  congested(): boolean {
    return this.held > this.backlog;
  }

  /** Call `fn` (once) when the backlog falls low enough for senders to resume. */
  onDrain(fn: () => void): void {
    this.drainWaiters.add(fn);
  }

  offDrain(fn: () => void): void {
    this.drainWaiters.delete(fn);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.head = 0;
  }

  private arm(): void {
    if (this.timer !== null) return;
    const next = this.queue[this.head];
    if (!next) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, next.at - performance.now()));
  }

  private flush(): void {
    this.timer = null;
    // Timers fire up to a millisecond early or late; deliver what is due within half of one.
    const now = performance.now() + 0.5;
    while (this.head < this.queue.length && this.queue[this.head]!.at <= now) {
      const p = this.queue[this.head++]!;
      this.held -= p.bytes;
      p.deliver();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (!this.congested() && this.held * 2 <= this.backlog && this.drainWaiters.size > 0) {
      const waiters = [...this.drainWaiters];
      this.drainWaiters.clear();
      for (const w of waiters) w();
    }
    this.arm();
  }
}

// A receiver that stops reading must not make the proxy buffer without bound.
const WRITE_HIGH_WATER = 4 * 1024 * 1024;

/** Carry one direction of one connection over `link`, pausing `from` while the link or `to` is full. */
function pipeOver(link: Link, from: Socket, to: Socket): void {
  function update(): void {
    if (from.destroyed) return;
    const full = link.congested() || to.writableLength > WRITE_HIGH_WATER;
    if (full && !from.isPaused()) from.pause();
    else if (!full && from.isPaused()) from.resume();
    if (link.congested()) link.onDrain(update);
  }
  from.on("data", (chunk: Buffer) => {
    link.send(chunk.length, () => {
      if (!to.destroyed) to.write(chunk);
    });
    update();
  });
  // A FIN travels the link like data, behind the bytes sent before it.
  const end = () => link.send(0, () => {
    if (!to.destroyed && !to.writableEnded) to.end();
  });
  from.on("end", end);
  from.on("close", () => {
    link.offDrain(update);
    end();
  });
  to.on("drain", update);
}

/** Start a proxy on a free port of 127.0.0.1 forwarding to `upstreamPort` on 127.0.0.1. */
export async function startWanProxy(upstreamPort: number, opts: WanOptions): Promise<WanProxy> {
  const msPerByte = 1000 / opts.bytesPerSecond;
  const burst = opts.burstBytes ?? 64 * 1024;
  const backlog = opts.backlogBytes ?? 2 * 1024 * 1024;
  const up = new Link(msPerByte, opts.delayMs, burst * msPerByte, backlog);
  const down = new Link(msPerByte, opts.delayMs, burst * msPerByte, backlog);
  const sockets = new Set<Socket>();
  let connections = 0;

  // Half-open sockets let each FIN be delayed like data instead of node answering it at once.
  const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    connections++;
    const upstream = createConnection({ host: "127.0.0.1", port: upstreamPort, allowHalfOpen: true });
    // Paused explicitly, so attaching "data" listeners does not start the flow before the handshake.
    client.pause();
    upstream.pause();
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      s.on("close", () => sockets.delete(s));
    }
    pipeOver(up, client, upstream);
    pipeOver(down, upstream, client);
    // The handshake: the client's first byte may leave one round trip after it connected.
    const handshake = setTimeout(() => {
      if (!client.destroyed) client.resume();
      if (!upstream.destroyed) upstream.resume();
    }, 2 * opts.delayMs);
    client.on("close", () => clearTimeout(handshake));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the WAN proxy got no TCP address");

  let closing: Promise<void> | null = null;
  return {
    host: `127.0.0.1:${address.port}`,
    stats: () => ({ connections, bytesUp: up.carried, bytesDown: down.carried }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        up.stop();
        down.stop();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
