// The doorway every accepted socket passes (src/downstream/doorway.ts), with fake sockets and a real
// ConnectionGate: who the client is (the peer, or a trusted proxy's PROXY header), the refusals
// with their codes (untrusted, missing, malformed PROXY headers; the header deadline; the caps at
// accept), that a refused socket is cut and its slot given back exactly once, and that after the
// doorway every event goes to the connection behind it.

import { describe, expect, test } from "bun:test";
import { AddressSet } from "../../src/net/addresses.ts";
import type { NetSocket } from "../../src/net/listener.ts";
import { encodeProxyV1, encodeProxyV2, encodeProxyV2Local } from "../../src/net/proxy-protocol.ts";
import type { RefusalCode } from "../../src/protocol/close-codes.ts";
import {
  Doorways,
  type Client,
  type DoorPolicy,
  type Inner,
  type ProxyProtocolMode,
} from "../../src/downstream/doorway.ts";
import { ConnectionGate } from "../../src/downstream/gate.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder("latin1").decode(b);

/** The part of a Bun socket the doorway uses. */
class FakeSocket {
  terminated = 0;
  constructor(readonly remoteAddress: string) {}
  terminate(): void {
    this.terminated++;
  }
}

/** A connection behind the doorway that records what reaches it. */
class FakeInner implements Inner {
  data = "";
  ticks: number[] = [];
  shutWith: string | null = null;
  closed = 0;
  /** Cuts its socket: terminate, then the socket's close event through the doorway (as Bun does). */
  cut: (() => void) | null = null;
  constructor(readonly client: Client) {}
  onData(chunk: Uint8Array): void {
    this.data += dec(chunk);
  }
  onDrain(): void {}
  onClosed(): void {
    this.closed++;
  }
  tick(now: number): void {
    this.ticks.push(now);
  }
  shut(code: string): void {
    this.shutWith = code;
    this.cut?.();
  }
}

/** The codes said about refused sockets: by the doorway, or by a connection it shut. */
function said(s: { refused: [RefusalCode, string][]; inners: FakeInner[] }): string[] {
  const byInner = s.inners.map((i) => i.shutWith).filter((c) => c !== null);
  return [...s.refused.map(([c]) => c), ...byInner] as string[];
}

function setup(
  o: {
    trusted?: string[];
    proxy?: ProxyProtocolMode;
    max?: number;
    perIp?: number;
    refuseOpen?: boolean;
  } = {},
) {
  const gate = new ConnectionGate(o.max ?? 100, o.perIp ?? 10);
  const policy: DoorPolicy = {
    trusted: new AddressSet(o.trusted ?? ["127.0.0.1"]),
    proxyProtocol: o.proxy ?? "off",
    headerMs: 1000,
  };
  let now = 0;
  const inners: FakeInner[] = [];
  const refused: [RefusalCode, string][] = [];
  const doors = new Doorways(gate, policy, () => now, {
    open: (client) => {
      if (o.refuseOpen === true) return null;
      const inner = new FakeInner(client);
      inners.push(inner);
      return inner;
    },
    refused: (code, ip) => void refused.push([code, ip]),
  });
  const accept = (peer: string, tls = false) => {
    const socket = new FakeSocket(peer);
    const handler = doors.accept(socket as unknown as NetSocket, tls);
    const inner = inners.at(-1);
    if (handler !== null && inner !== undefined && inner.cut === null)
      inner.cut = () => {
        socket.terminate();
        handler.onClosed();
      };
    return { socket, handler };
  };
  return {
    gate,
    doors,
    inners,
    refused,
    accept,
    at: (t: number) => {
      now = t;
      doors.tick(t);
    },
  };
}

describe("without a PROXY header expected", () => {
  test("the connection opens at accept with the peer as the client; bytes go straight to it", () => {
    const s = setup({ trusted: [] });
    const { handler } = s.accept("::ffff:192.0.2.1");
    expect(s.inners).toHaveLength(1);
    const c = s.inners[0]!.client;
    expect([c.ip, c.peer, c.trustedPeer, c.slot.ip]).toEqual(["192.0.2.1", "192.0.2.1", false, "192.0.2.1"]);
    handler!.onData(enc("GET / HTTP/1.1\r\n"));
    handler!.onData(enc("PROXY is fine later\r\n"));
    expect(s.inners[0]!.data).toBe("GET / HTTP/1.1\r\nPROXY is fine later\r\n");
    s.at(5000);
    expect(s.inners[0]!.ticks).toEqual([5000]); // the connection's own deadlines from now on
    expect(s.refused).toEqual([]);
  });

  test("a PROXY header (v1 or v2) first from an untrusted peer: E_PROXY_UNTRUSTED, cut, slot freed once", () => {
    const headers = [
      encodeProxyV1("203.0.113.9", 1, "192.0.2.1", 2),
      encodeProxyV2("203.0.113.9", 1, "192.0.2.1", 2),
    ];
    for (const header of headers) {
      const s = setup({ trusted: [], proxy: "required" });
      const { socket, handler } = s.accept("192.0.2.7");
      handler!.onData(header);
      // Said once, by the doorway or by the connection it shut: never taken as the client's address.
      expect(said(s)).toEqual(["E_PROXY_UNTRUSTED"]);
      expect([socket.terminated, s.inners[0]!.data]).toEqual([1, ""]);
      handler!.onClosed(); // the socket's close event after terminate
      handler!.onData(enc("more"));
      expect([s.gate.total, s.gate.held("192.0.2.7"), s.doors.size, s.inners[0]!.closed]).toEqual([
        0, 0, 0, 1,
      ]);
    }
  });

  test("a trusted peer on a TLS listener: no PROXY header is read even when required", () => {
    const s = setup({ proxy: "required" });
    const { handler } = s.accept("127.0.0.1", true);
    expect(s.inners[0]!.client).toMatchObject({ ip: "127.0.0.1", trustedPeer: true });
    expect(s.inners[0]!.client.slot.ip).toBeNull(); // a proxy: per-IP counting waits for its client
    handler!.onData(enc("GET /"));
    expect(s.inners[0]!.data).toBe("GET /");
  });
});

describe("PROXY protocol from a trusted peer", () => {
  test("v1 split across chunks names the client; the bytes after it reach the connection", () => {
    const s = setup({ proxy: "optional" });
    const { handler } = s.accept("127.0.0.1");
    expect(s.inners).toHaveLength(0); // waiting for the header
    const bytes = dec(encodeProxyV1("203.0.113.9", 40000, "127.0.0.1", 443)) + "GET /ws HTTP/1.1\r\n";
    for (const part of [bytes.slice(0, 3), bytes.slice(3, 20), bytes.slice(20)]) handler!.onData(enc(part));
    const c = s.inners[0]!.client;
    expect([c.ip, c.peer, c.trustedPeer, c.slot.ip]).toEqual([
      "203.0.113.9",
      "127.0.0.1",
      true,
      "203.0.113.9",
    ]);
    expect(s.inners[0]!.data).toBe("GET /ws HTTP/1.1\r\n");
    expect(s.gate.held("203.0.113.9")).toBe(1);
  });

  test("v2 LOCAL (the proxy's own health check): the peer is the client", () => {
    const s = setup({ proxy: "required" });
    s.accept("127.0.0.1").handler!.onData(encodeProxyV2Local());
    expect(s.inners[0]!.client.ip).toBe("127.0.0.1");
  });

  test('"optional" without a header: the peer is the client and every byte is kept', () => {
    const s = setup({ proxy: "optional" });
    const { handler } = s.accept("127.0.0.1");
    handler!.onData(enc("\r\n"));
    handler!.onData(enc("GET / HTTP/1.1\r\n"));
    expect(s.inners[0]!.client.ip).toBe("127.0.0.1");
    expect(s.inners[0]!.data).toBe("\r\nGET / HTTP/1.1\r\n");
  });

  test('"required" without a header: E_PROXY_MISSING', () => {
    const s = setup({ proxy: "required" });
    const { socket, handler } = s.accept("127.0.0.1");
    handler!.onData(enc("GET / HTTP/1.1\r\n"));
    expect([s.refused, socket.terminated, s.inners.length, s.gate.total]).toEqual([
      [["E_PROXY_MISSING", "127.0.0.1"]],
      1,
      0,
      0,
    ]);
  });

  test("a malformed header: E_PROXY_MALFORMED", () => {
    for (const bad of ["PROXY TCP4 not-an-ip 1.2.3.4 1 2\r\n", `PROXY TCP4 ${"9".repeat(120)}`]) {
      const s = setup({ proxy: "optional" });
      s.accept("127.0.0.1").handler!.onData(enc(bad));
      expect(s.refused).toEqual([["E_PROXY_MALFORMED", "127.0.0.1"]]);
      expect(s.gate.total).toBe(0);
    }
  });

  test("the header deadline: nothing (or half a header) by headerMs is E_HEADER_TIMEOUT", () => {
    const s = setup({ proxy: "required" });
    const { socket, handler } = s.accept("127.0.0.1");
    handler!.onData(enc("PROXY TCP4 "));
    s.at(999);
    expect(s.refused).toEqual([]);
    s.at(1000);
    expect([s.refused, socket.terminated, s.gate.total]).toEqual([[["E_HEADER_TIMEOUT", "127.0.0.1"]], 1, 0]);
  });

  test("the client's per-IP cap counts the address the header names", () => {
    const s = setup({ proxy: "required", perIp: 1 });
    const header = (ip: string) => encodeProxyV2(ip, 1, "127.0.0.1", 2);
    s.accept("127.0.0.1").handler!.onData(header("203.0.113.9"));
    const second = s.accept("127.0.0.1");
    second.handler!.onData(header("203.0.113.9"));
    s.accept("127.0.0.1").handler!.onData(header("203.0.113.10"));
    expect(said(s)).toEqual(["E_TOO_MANY_FROM_ADDRESS"]);
    expect([second.socket.terminated, s.inners.map((i) => i.client.ip)]).toEqual([
      1,
      ["203.0.113.9", "203.0.113.10"],
    ]);
  });
});

describe("Doorways: the caps at accept, eviction and stop", () => {
  test("per-IP over cap for a direct peer: cut at accept, no handler; a trusted peer is not counted per IP", () => {
    const s = setup({ trusted: ["127.0.0.1"], perIp: 1 });
    expect(s.accept("192.0.2.1").handler).not.toBeNull();
    const over = s.accept("192.0.2.1");
    expect([over.handler, over.socket.terminated]).toEqual([null, 1]);
    expect(s.refused).toEqual([["E_TOO_MANY_FROM_ADDRESS", "192.0.2.1"]]);
    expect(s.accept("127.0.0.1").handler).not.toBeNull();
    expect(s.accept("127.0.0.1").handler).not.toBeNull();
  });

  test("at the total cap the oldest pending socket is shut (E_EVICTED) through its connection", () => {
    const s = setup({ trusted: [], max: 2 });
    s.accept("192.0.2.1");
    s.accept("192.0.2.2");
    s.inners[0]!.client.slot.settle(); // a miner now: never evicted
    s.accept("192.0.2.3");
    expect(s.inners.map((i) => i.shutWith)).toEqual([null, "E_EVICTED", null]);
    expect([s.gate.total, s.gate.evicted, s.doors.size, s.inners[1]!.closed]).toEqual([2, 1, 2, 1]);
  });

  test("at the cap a socket still waiting for its PROXY header is cut (E_EVICTED); with none pending, refused", () => {
    const s = setup({ proxy: "required", max: 1 });
    const first = s.accept("127.0.0.1");
    const second = s.accept("127.0.0.1");
    expect([first.socket.terminated, s.refused]).toEqual([1, [["E_EVICTED", "127.0.0.1"]]]);
    second.handler!.onData(encodeProxyV2("203.0.113.1", 1, "127.0.0.1", 2));
    s.inners[0]!.client.slot.settle(); // a miner now
    const third = s.accept("127.0.0.1");
    expect([third.handler, third.socket.terminated, s.refused.at(-1)]).toEqual([
      null,
      1,
      ["E_TOO_MANY_CONNECTIONS", "127.0.0.1"],
    ]);
    expect([s.gate.total, s.doors.size]).toEqual([1, 1]);
  });

  test("the connection factory refusing (null): the slot is given back", () => {
    const s = setup({ trusted: [], refuseOpen: true });
    expect(s.accept("192.0.2.1").handler).toBeNull();
    expect([s.gate.total, s.doors.size]).toEqual([0, 0]);
  });

  test("stop: every socket shut with E_BRIDGE_CLOSING, and later ones refused", async () => {
    const s = setup({ trusted: [], proxy: "off" });
    s.accept("192.0.2.1");
    await s.doors.stop();
    expect(s.inners[0]!.shutWith).toBe("E_BRIDGE_CLOSING");
    expect([s.doors.size, s.gate.total]).toEqual([0, 0]);
    const late = s.accept("192.0.2.2");
    expect([late.handler, late.socket.terminated, s.refused.at(-1)]).toEqual([
      null,
      1,
      ["E_BRIDGE_CLOSING", "192.0.2.2"],
    ]);
  });
});
