// real-components.test.ts — proves the harnesses the deployment tests stand on, against the real
// Debian programs: the test CA (tls-ca.ts), nginx as a reverse proxy adding X-Forwarded-For and
// terminating TLS (https and wss), HAProxy sending PROXY v1 and v2 headers, and clients that connect
// from other loopback addresses (127.0.0.2–.6 stand for different visitors in the per-IP tests).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { request } from "node:http";
import { connect as netConnect } from "node:net";
import type { Server, Socket, TCPSocketConnectOptions, TCPSocketListener } from "bun";
import { until } from "../e2e/stack.ts";
import { startHaproxy } from "./haproxy.ts";
import { startNginx } from "./nginx.ts";
import { findBinary, freePort } from "./processes.ts";
import { makeTestCa, type TestCa } from "./tls-ca.ts";

// Bun.connect binds the local address it is given (checked below), but bun-types 1.4.5 lacks the key.
type ConnectFrom = TCPSocketConnectOptions<undefined> & { localAddress: string };

/** The v2 header's fixed 12-byte signature (PROXY protocol spec, section 2.2). */
const V2_SIGNATURE = Buffer.from("\r\n\r\n\0\r\nQUIT\n", "latin1");

let ca: TestCa;
/** What the backend saw per request: its peer (the proxy) and the forwarding headers. */
const seen: { peer: string; xff: string | null; proto: string | null }[] = [];
let backend: Server<undefined>;

beforeAll(() => {
  ca = makeTestCa();
  backend = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, server) {
      const h = req.headers;
      seen.push({
        peer: server.requestIP(req)?.address ?? "",
        xff: h.get("x-forwarded-for"),
        proto: h.get("x-forwarded-proto"),
      });
      if (server.upgrade(req)) return;
      return new Response("backend");
    },
    websocket: { message: (ws, m) => void ws.send(`echo:${m}`) },
  });
});
afterAll(() => {
  backend.stop(true);
  ca.cleanup();
});

/** A GET through node:http from `localAddress` (fetch has no local-address option). */
function getFrom(localAddress: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", localAddress }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

const PROXY_HEADERS = `
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;`;
const UPGRADE_MAP = "map $http_upgrade $connection_upgrade { default upgrade; '' close; }";

describe("test CA", () => {
  test("two leaves for the same names differ, and the pin is the SHA-256 of the leaf's DER", () => {
    const a = ca.issue("server");
    const b = ca.issue("server");
    expect(a.certFile).not.toBe(b.certFile);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
    const r = Bun.spawnSync(["openssl", "x509", "-in", a.certFile, "-noout", "-fingerprint", "-sha256"]);
    expect(r.stdout.toString().split("=")[1]!.trim().replaceAll(":", "").toLowerCase()).toBe(
      a.fingerprint256,
    );
    expect(Buffer.from(a.spkiSha256Base64, "base64")).toHaveLength(32);
    const verify = Bun.spawnSync(["openssl", "verify", "-CAfile", ca.caFile, b.certFile]);
    expect(verify.exitCode).toBe(0);
  });
});

describe("nginx", () => {
  test("proxies HTTP and adds X-Forwarded-For with each client's own address", async () => {
    const port = freePort();
    const nginx = await startNginx({
      conf: `${UPGRADE_MAP}
server {
  listen 127.0.0.1:${port};
  location / {
    proxy_pass http://127.0.0.1:${backend.port};${PROXY_HEADERS}
  }
}`,
    });
    try {
      seen.length = 0;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("backend");
      expect(await getFrom("127.0.0.2", port)).toBe("backend");
      expect(seen).toEqual([
        { peer: "127.0.0.1", xff: "127.0.0.1", proto: "http" },
        { peer: "127.0.0.1", xff: "127.0.0.2", proto: "http" },
      ]);
      // nginx writes its access line after the response: the client may be told first.
      await until(() => nginx.accessLog().includes("127.0.0.2 - - ["), "nginx's access line", 5_000);
    } finally {
      await nginx.stop();
    }
  }, 20_000);

  test("terminates TLS with a test CA leaf: https and wss verify with the CA, not without", async () => {
    const leaf = ca.issue("nginx");
    const caPem = await Bun.file(ca.caFile).text();
    const port = freePort();
    const nginx = await startNginx({
      conf: `${UPGRADE_MAP}
server {
  listen 127.0.0.1:${port} ssl;
  ssl_certificate ${leaf.chainFile};
  ssl_certificate_key ${leaf.keyFile};
  location / {
    proxy_pass http://127.0.0.1:${backend.port};${PROXY_HEADERS}
  }
}`,
    });
    try {
      seen.length = 0;
      const ok = await fetch(`https://localhost:${port}/`, { tls: { ca: caPem } });
      expect(await ok.text()).toBe("backend");
      const refused = await fetch(`https://localhost:${port}/`).then(
        () => "accepted",
        (e: { code?: string }) => e.code,
      );
      expect(refused).toBe("SELF_SIGNED_CERT_IN_CHAIN");

      // wss with Bun's WebSocket client: the page's transport, through the proxy.
      const ws = new WebSocket(`wss://localhost:${port}/ws`, { tls: { ca: caPem } });
      const echo = await new Promise<string>((resolve, reject) => {
        ws.onopen = () => ws.send("x");
        ws.onmessage = (e) => resolve(String(e.data));
        ws.onerror = () => reject(new Error("wss through nginx failed"));
      });
      ws.close();
      expect(echo).toBe("echo:x");

      // A TLS client from 127.0.0.3 (Bun.connect with localAddress) upgrading by hand.
      let reply = "";
      const sock = await Bun.connect({
        hostname: "127.0.0.1",
        port,
        localAddress: "127.0.0.3",
        tls: { ca: caPem, serverName: "localhost" },
        socket: {
          open(s) {
            s.write(
              "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            );
          },
          data: (_s, d) => void (reply += d.toString("latin1")),
        },
      } as ConnectFrom);
      await until(() => reply.includes("\r\n\r\n"), "the upgrade reply", 10_000);
      sock.end();
      expect(reply.split("\r\n")[0]).toBe("HTTP/1.1 101 Switching Protocols");
      expect(seen.map((s) => [s.xff, s.proto])).toEqual([
        ["127.0.0.1", "https"],
        ["127.0.0.1", "https"],
        ["127.0.0.3", "https"],
      ]);
    } finally {
      await nginx.stop();
    }
  }, 20_000);

  test("stop() removes its directory, and a config error fails start with nginx's own words", async () => {
    const port = freePort();
    const nginx = await startNginx({ conf: `server { listen 127.0.0.1:${port}; return 204; }` });
    await nginx.stop();
    expect(await Bun.file(`${nginx.dir}/nginx.conf`).exists()).toBe(false);
    const bad = startNginx({ conf: `server { listen 127.0.0.1:${freePort()}; no_such_directive; }` });
    await expect(bad).rejects.toThrow(/unknown directive "no_such_directive"/);
  }, 20_000);
});

describe("haproxy", () => {
  const received: Buffer[] = [];
  let sink: TCPSocketListener<undefined>;
  beforeAll(() => {
    sink = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (_s, d) => void received.push(Buffer.from(d)) },
    });
  });
  afterAll(() => sink.stop(true));

  test("send-proxy-v2 and send-proxy carry the client's address (127.0.0.2) to the backend", async () => {
    const v2 = freePort();
    const v1 = freePort();
    const haproxy = await startHaproxy({
      conf: `
listen v2
  bind 127.0.0.1:${v2}
  server bridge 127.0.0.1:${sink.port} send-proxy-v2
listen v1
  bind 127.0.0.1:${v1}
  server bridge 127.0.0.1:${sink.port} send-proxy
`,
    });
    try {
      const bytes = () => Buffer.concat(received);
      // Through v2 with Bun.connect from 127.0.0.2.
      const a = await Bun.connect({
        hostname: "127.0.0.1",
        port: v2,
        localAddress: "127.0.0.2",
        socket: { data() {} },
      } as ConnectFrom);
      a.write("hello\n");
      await until(() => bytes().includes("hello\n"), "the v2 connection's bytes", 10_000);
      const h = bytes();
      expect(h.subarray(0, 12)).toEqual(V2_SIGNATURE);
      // Version 2, PROXY command; TCP over IPv4; 12 address bytes: src, dst, src port, dst port.
      expect([h[12], h[13], h.readUInt16BE(14)]).toEqual([0x21, 0x11, 12]);
      expect([...h.subarray(16, 20)].join(".")).toBe("127.0.0.2");
      expect(h.readUInt16BE(24)).toBe((a as Socket<undefined>).localPort);
      expect(h.subarray(28).toString()).toBe("hello\n");
      a.end();

      // Through v1 with node:net from 127.0.0.2.
      received.length = 0;
      const b = netConnect({ host: "127.0.0.1", port: v1, localAddress: "127.0.0.2" });
      await new Promise((resolve) => b.once("connect", resolve));
      b.write("hi\n");
      await until(() => bytes().includes("hi\n"), "the v1 connection's bytes", 10_000);
      expect(bytes().toString()).toBe(`PROXY TCP4 127.0.0.2 127.0.0.1 ${b.localPort} ${v1}\r\nhi\n`);
      b.destroy();
      await until(() => haproxy.log().includes("127.0.0.2:"), "HAProxy's log line", 10_000);
    } finally {
      await haproxy.stop();
    }
  }, 20_000);
});

test("a missing binary is named with its Debian package", () => {
  expect(() => findBinary("vbridge-no-such-program", "some-package")).toThrow(
    /Debian's some-package package/,
  );
});
