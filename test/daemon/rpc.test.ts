// rpc.test.ts — DaemonRpc against a small JSON-RPC server on 127.0.0.1 (Bun.serve, port 0): calls,
// batches, Basic auth, every coded failure (auth, RPC errors, syncing, timeout, refused, garbage, size)
// and URL validation. The password must never appear in a message, a detail or describe().

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DaemonError, DaemonRpc, parseDaemonUrl } from "../../src/daemon/index.ts";

const USER = "vrscrpc";
const PASS = "s3cret:p@ss/word";
const basic = (u: string, p: string) => "Basic " + Buffer.from(`${u}:${p}`).toString("base64");

type Handler = (req: Request, body: any) => Response | Promise<Response>;
let handler: Handler = () => new Response("unset", { status: 500 });
let lastAuth: string | null = null;
let server: ReturnType<typeof Bun.serve>;
let url: string;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      lastAuth = req.headers.get("authorization");
      const text = await req.text();
      let body: any = null;
      try {
        body = JSON.parse(text);
      } catch {}
      return handler(req, body);
    },
  });
  url = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

/** A verusd-like answerer: 401 without the right credentials, else `answer(method, params)`. */
function rpcServer(
  answer: (method: string, params: unknown[]) => { result?: unknown; error?: unknown },
): Handler {
  const one = (r: any) => {
    const a = answer(r.method, r.params);
    return { result: a.result ?? null, error: a.error ?? null, id: r.id };
  };
  return (req, body) => {
    if (req.headers.get("authorization") !== basic(USER, PASS)) return new Response("", { status: 401 });
    if (Array.isArray(body)) return Response.json(body.map(one).reverse()); // out of order on purpose
    const out = one(body);
    return Response.json(out, { status: out.error === null ? 200 : 500 }); // bitcoind: 500 + JSON body
  };
}

async function failure(p: Promise<unknown>): Promise<DaemonError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DaemonError);
    const d = e as DaemonError;
    expect(d.message).not.toContain(PASS);
    expect(JSON.stringify(d.detail)).not.toContain(PASS);
    return d;
  }
  throw new Error("expected a DaemonError");
}

const rpc = (extra: Partial<ConstructorParameters<typeof DaemonRpc>[0]> = {}) =>
  new DaemonRpc({ url, user: USER, pass: PASS, timeoutMs: 2000, ...extra });

describe("calls", () => {
  test("a call sends JSON-RPC with Basic auth and returns the result", async () => {
    let seen: any = null;
    handler = (req, body) => {
      seen = body;
      return rpcServer((m, p) => ({ result: { method: m, params: p } }))(req, body);
    };
    const r = await rpc().call<{ method: string; params: unknown[] }>("getinfo", [1, "x"]);
    expect(r).toEqual({ method: "getinfo", params: [1, "x"] });
    expect(seen.method).toBe("getinfo");
    expect(seen.params).toEqual([1, "x"]);
    expect(lastAuth).toBe(basic(USER, PASS));
  });

  test("credentials from the URL's userinfo (percent-decoded); describe() shows no password", async () => {
    handler = rpcServer(() => ({ result: 42 }));
    const r = new DaemonRpc({ url: `http://${USER}:${encodeURIComponent(PASS)}@127.0.0.1:${server.port}` });
    expect(await r.call("getdifficulty")).toBe(42);
    expect(lastAuth).toBe(basic(USER, PASS));
    expect(r.describe()).toBe(`http://${USER}@127.0.0.1:${server.port}`);
    expect(r.describe()).not.toContain("s3cret");
    expect(rpc().describe()).not.toContain("s3cret");
  });

  test("a batch: per-call results or DaemonErrors, matched by id", async () => {
    handler = rpcServer((m) =>
      m === "submitblock"
        ? { error: { code: -1, message: 'submitblock "hexdata"' } }
        : m === "getblockcount"
          ? { error: { code: -10, message: "Verus is downloading blocks..." } }
          : { result: m },
    );
    const out = await rpc().batch([
      { method: "getdifficulty" },
      { method: "getinfo", params: [] },
      { method: "submitblock", params: [] },
      { method: "getblockcount" },
    ]);
    expect(out.slice(0, 2)).toEqual(["getdifficulty", "getinfo"]);
    expect(out[2]).toBeInstanceOf(DaemonError);
    expect((out[2] as DaemonError).code).toBe("E_DAEMON_RPC");
    expect((out[2] as DaemonError).detail.code).toBe(-1);
    expect((out[3] as DaemonError).code).toBe("E_DAEMON_SYNCING");
    expect(await rpc().batch([])).toEqual([]);
  });

  test("a batch answer missing a call's id: that slot is E_DAEMON_MALFORMED", async () => {
    handler = (_req, body) => Response.json([{ result: 1, error: null, id: body[0].id }]);
    const out = await rpc().batch([{ method: "a" }, { method: "b" }]);
    expect(out[0]).toBe(1);
    expect((out[1] as DaemonError).code).toBe("E_DAEMON_MALFORMED");
  });
});

describe("coded failures", () => {
  test("HTTP 401 and 403 → E_DAEMON_AUTH (usage)", async () => {
    handler = rpcServer(() => ({ result: 1 }));
    const e = await failure(rpc({ pass: "wrong" }).call("getinfo"));
    expect(e.code).toBe("E_DAEMON_AUTH");
    expect(e.usage).toBe(true);
    handler = () => new Response("Forbidden", { status: 403 });
    expect((await failure(rpc().call("getinfo"))).code).toBe("E_DAEMON_AUTH");
    expect((await failure(rpc().batch([{ method: "getinfo" }]))).code).toBe("E_DAEMON_AUTH");
  });

  test("RPC errors: −10 and −9 → E_DAEMON_SYNCING, others → E_DAEMON_RPC with code and message", async () => {
    const answers: Record<string, { code: number; message: string }> = {
      a: { code: -10, message: "Verus is downloading blocks..." },
      b: {
        code: -9,
        message: "Cannot get a block template while no peers are connected or chain not in sync!",
      },
      c: { code: -8, message: "Block not found" },
    };
    handler = rpcServer((m) => ({ error: answers[m] }));
    const a = await failure(rpc().call("a"));
    expect(a.code).toBe("E_DAEMON_SYNCING");
    expect(a.detail.code).toBe(-10);
    expect((await failure(rpc().call("b"))).code).toBe("E_DAEMON_SYNCING");
    const c = await failure(rpc().call("c"));
    expect(c.code).toBe("E_DAEMON_RPC");
    expect(c.detail).toMatchObject({ method: "c", code: -8, message: "Block not found" });
    expect(c.usage).toBe(false);
  });

  test("no -mineraddress (komodod's getblocktemplate error) → E_DAEMON_NO_ADDRESS (usage)", async () => {
    handler = rpcServer(() => ({
      error: { code: -32601, message: "Wallet disabled and -mineraddress not set" },
    }));
    const e = await failure(rpc().call("getblocktemplate"));
    expect(e.code).toBe("E_DAEMON_NO_ADDRESS");
    expect(e.usage).toBe(true);
  });

  test("a hanging server → E_DAEMON_TIMEOUT within the bound", async () => {
    handler = () => new Promise<Response>(() => {});
    const t0 = performance.now();
    const e = await failure(rpc().call("getblocktemplate", [], { timeoutMs: 150 }));
    const ms = performance.now() - t0;
    expect(e.code).toBe("E_DAEMON_TIMEOUT");
    expect(ms).toBeGreaterThanOrEqual(100);
    expect(ms).toBeLessThan(1500);
  });

  test("a body that stalls halfway → E_DAEMON_TIMEOUT", async () => {
    handler = () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"result":'));
          },
        }),
      );
    const e = await failure(rpc({ timeoutMs: 150 }).call("getinfo"));
    expect(e.code).toBe("E_DAEMON_TIMEOUT");
  });

  test("the caller's signal → E_DAEMON_ABORTED", async () => {
    handler = () => new Promise<Response>(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const e = await failure(rpc().call("getblocktemplate", [], { signal: ac.signal }));
    expect(e.code).toBe("E_DAEMON_ABORTED");
  });

  test("nothing listening → E_DAEMON_CONNECT", async () => {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = s.port;
    s.stop(true);
    const e = await failure(
      new DaemonRpc({ url: `http://127.0.0.1:${port}`, user: USER, pass: PASS }).call("getinfo"),
    );
    expect(e.code).toBe("E_DAEMON_CONNECT");
  });

  test("HTML or garbage with 200 → E_DAEMON_MALFORMED; another status without JSON → E_DAEMON_HTTP (body cut)", async () => {
    handler = () =>
      new Response("<html><body>hello</body></html>", { headers: { "content-type": "text/html" } });
    expect((await failure(rpc().call("getinfo"))).code).toBe("E_DAEMON_MALFORMED");
    handler = () => Response.json([1, 2]);
    expect((await failure(rpc().call("getinfo"))).code).toBe("E_DAEMON_MALFORMED");
    handler = () => Response.json({ id: 1 });
    expect((await failure(rpc().call("getinfo"))).code).toBe("E_DAEMON_MALFORMED");
    handler = () => Response.json({ result: 1, error: null });
    expect((await failure(rpc().batch([{ method: "getinfo" }]))).code).toBe("E_DAEMON_MALFORMED");
    handler = () => new Response("<html>" + "x".repeat(1000) + "</html>", { status: 502 });
    const e = await failure(rpc().call("getinfo"));
    expect(e.code).toBe("E_DAEMON_HTTP");
    expect(e.detail.status).toBe(502);
    expect((e.detail.body as string).length).toBe(200);
  });

  test("an oversized body → E_DAEMON_TOO_LARGE, declared or streamed", async () => {
    const big = JSON.stringify({ result: "x".repeat(5000), error: null, id: 1 });
    handler = () => new Response(big);
    const e = await failure(rpc({ maxResponseBytes: 1024 }).call("getblocktemplate"));
    expect(e.code).toBe("E_DAEMON_TOO_LARGE");
    expect(e.detail.limit).toBe(1024);
    // no content-length: counted while reading (a bounded stream of 64 chunks)
    handler = () =>
      new Response(
        new ReadableStream({
          start(c) {
            for (let i = 0; i < 64; i++) c.enqueue(new Uint8Array(512).fill(0x20));
            c.close();
          },
        }),
      );
    expect((await failure(rpc({ maxResponseBytes: 4096 }).call("getblocktemplate"))).code).toBe(
      "E_DAEMON_TOO_LARGE",
    );
    // under the cap: fine
    handler = rpcServer(() => ({ result: "ok" }));
    expect(await rpc({ maxResponseBytes: 1024 }).call("getinfo")).toBe("ok");
  });
});

describe("URL validation", () => {
  const bad = [
    "",
    "127.0.0.1:27486",
    "https://127.0.0.1:27486",
    "ftp://127.0.0.1:27486",
    "http://127.0.0.1",
    "http://127.0.0.1:0",
    "http://127.0.0.1:70000",
    "http://:27486",
    "http://127.0.0.1:27486?x=1",
    "http://127.0.0.1:27486#frag",
    "http://127.0.0.1:port",
    `http://${USER}:${PASS}@127.0.0.1`,
  ];
  for (const u of bad) {
    test(`rejects ${JSON.stringify(u)} with E_DAEMON_URL`, () => {
      let err: unknown;
      try {
        new DaemonRpc({ url: u });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DaemonError);
      expect((err as DaemonError).code).toBe("E_DAEMON_URL");
      expect((err as DaemonError).usage).toBe(true);
      expect((err as DaemonError).message).not.toContain("s3cret");
    });
  }

  test("accepts host names, IPv4, [IPv6] and a path", () => {
    expect(parseDaemonUrl("http://localhost:27486")).toMatchObject({
      host: "localhost",
      port: 27486,
      path: "/",
    });
    expect(parseDaemonUrl("HTTP://10.0.0.2:1/").endpoint).toBe("http://10.0.0.2:1/");
    expect(parseDaemonUrl("http://[::1]:27486").endpoint).toBe("http://[::1]:27486/");
    expect(parseDaemonUrl("http://u:p%2Fq@h:5/wallet/x")).toMatchObject({
      user: "u",
      pass: "p/q",
      path: "/wallet/x",
    });
  });

  test("explicit user/pass win over the URL's", async () => {
    handler = rpcServer(() => ({ result: true }));
    const r = new DaemonRpc({ url: `http://other:nope@127.0.0.1:${server.port}`, user: USER, pass: PASS });
    expect(await r.call("getinfo")).toBe(true);
  });
});
