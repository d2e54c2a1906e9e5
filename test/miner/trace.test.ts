// --debug: the authorize password never reaches the log; lines are traced whole, in both
// directions, however the bytes are split; the client's notes appear only with --debug.

import { describe, expect, test } from "bun:test";
import { clientLogger, redact, tracingConnect } from "../../src/miner/trace.ts";
import {
  parsePoolUrl,
  UpstreamError,
  type ConnectFn,
  type TransportHandlers,
} from "../../src/upstream/index.ts";
import { linesLogger } from "../support/log.ts";

describe("redact", () => {
  test("the password of mining.authorize becomes ***", () => {
    const line = JSON.stringify({ id: 2, method: "mining.authorize", params: ["RAddr.w", "hunter2"] });
    expect(redact(line)).toBe('{"id":2,"method":"mining.authorize","params":["RAddr.w","***"]}');
  });

  test("other lines, short params and non-JSON text are unchanged", () => {
    const submit = '{"id":5,"method":"mining.submit","params":["RAddr.w","1a","c82b016b","00","fd4005"]}';
    expect(redact(submit)).toBe(submit);
    expect(redact('{"id":2,"method":"mining.authorize","params":["RAddr.w"]}')).toBe(
      '{"id":2,"method":"mining.authorize","params":["RAddr.w"]}',
    );
    expect(redact("not json")).toBe("not json");
    expect(redact("null")).toBe("null");
  });
});

describe("tracingConnect", () => {
  test("traces each line received (split across reads) and each line sent, redacted", () => {
    let handlers: TransportHandlers | undefined;
    const written: string[] = [];
    const inner: ConnectFn = (_o, h) => {
      handlers = h;
      return { write: (t) => void written.push(t), close: (r) => h.onClose(r), bufferedBytes: 0 };
    };
    const trace: string[] = [];
    const got: string[] = [];
    const t = tracingConnect(inner, (l) => trace.push(l))(
      {
        endpoint: parsePoolUrl("stratum+tcp://127.0.0.1:3956"),
        tls: { ca: null, pin: null },
        connectTimeoutMs: 1000,
        maxWriteBufferBytes: 4096,
      },
      {
        onOpen: () => got.push("open"),
        onData: (b) => got.push(new TextDecoder().decode(b)),
        onClose: (r) => got.push(r.code),
      },
    );
    handlers!.onOpen();
    t.write('{"id":2,"method":"mining.authorize","params":["u","pw"]}\n');
    const enc = new TextEncoder();
    handlers!.onData(enc.encode('{"id":1,"res'));
    handlers!.onData(enc.encode('ult":true}\n{"id":null,"method":"mining.notify"}\n'));
    t.close(new UpstreamError("E_CLIENT_CLOSED", "closed"));
    expect(written).toEqual(['{"id":2,"method":"mining.authorize","params":["u","pw"]}\n']); // the pool still gets it
    expect(got).toEqual([
      "open",
      '{"id":1,"res',
      'ult":true}\n{"id":null,"method":"mining.notify"}\n',
      "E_CLIENT_CLOSED",
    ]);
    expect(trace).toEqual([
      "stratum+tcp://127.0.0.1:3956 connecting",
      "stratum+tcp://127.0.0.1:3956 connected",
      '> {"id":2,"method":"mining.authorize","params":["u","***"]}',
      '< {"id":1,"result":true}',
      '< {"id":null,"method":"mining.notify"}',
      "stratum+tcp://127.0.0.1:3956 closed: E_CLIENT_CLOSED closed",
    ]);
  });
});

describe("clientLogger", () => {
  test("warnings and errors always; notes, and our own close, only with --debug", () => {
    for (const debug of [false, true]) {
      const lines: string[] = [];
      const log = clientLogger(linesLogger(lines), debug);
      log.debug("probe", { code: "E_X" });
      log.info("authorized", { pool: "p", user: "u" });
      log.warn("pool connection ended", { pool: "p", code: "E_CONNECTION_RESET", message: "reset" });
      log.warn("pool connection ended", { pool: "p", code: "E_CLIENT_CLOSED", message: "closed" });
      log.error("boom");
      const always = ["pool connection ended (pool=p, code=E_CONNECTION_RESET, message=reset)", "boom"];
      expect(lines).toEqual(
        debug
          ? [
              "probe (code=E_X)",
              "authorized (pool=p, user=u)",
              always[0]!,
              "pool connection ended (pool=p, code=E_CLIENT_CLOSED, message=closed)",
              "boom",
            ]
          : always,
      );
    }
  });
});
