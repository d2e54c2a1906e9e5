import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIELDS, loadConfig } from "../../src/config/index.ts";
import { codeOf } from "../support/errors.ts";

const ROOT = join(import.meta.dir, "../..");
const SHIPPED = join(ROOT, "config.toml");
const dir = mkdtempSync(join(tmpdir(), "vbridge-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string): string {
  const p = join(dir, `c${n++}.toml`);
  writeFileSync(p, text);
  return p;
}

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

describe("the shipped config.toml", () => {
  test("loads, and runs the bridge on the built-in pool", () => {
    const c = loadConfig({ file: SHIPPED, env: {} });
    expect(c.mode).toBe("bridge");
    expect(c.upstream.pools).toEqual(["builtin"]);
    expect(c.bridge.port).toBe(8080);
  });

  test("documents every key in its section", () => {
    const text = readFileSync(SHIPPED, "utf8");
    const sectionOf = new Map<string, string>();
    let section = "";
    for (const line of text.split("\n")) {
      const table = /^\[(\w+)\]/.exec(line);
      if (table) section = table[1]!;
      const key = /^#?\s*(\w+)\s*=/.exec(line);
      if (key) sectionOf.set(section ? `${section}.${key[1]}` : key[1]!, section);
    }
    for (const f of FIELDS) expect(sectionOf.has(f.key) ? f.key : `undocumented: ${f.key}`).toBe(f.key);
  });
});

describe("precedence: flag > environment > file > default", () => {
  const path = file('[bridge]\nport = 9000\n[upstream]\npools = ["builtin"]\n');

  test("default when nothing sets it", () => {
    expect(loadConfig({ file: null, env: {} }).bridge.port).toBe(8080);
  });
  test("file over default", () => {
    expect(loadConfig({ file: path, env: {} }).bridge.port).toBe(9000);
  });
  test("environment over file (the seed's WS_PORT)", () => {
    expect(loadConfig({ file: path, env: { WS_PORT: "9100" } }).bridge.port).toBe(9100);
  });
  test("flag over environment", () => {
    const c = loadConfig({
      file: path,
      env: { WS_PORT: "9100" },
      flags: [{ key: "bridge.port", value: "9200", flag: "--port" }],
    });
    expect(c.bridge.port).toBe(9200);
  });
  test("an undefined flag leaves the lower layers alone", () => {
    const c = loadConfig({
      file: path,
      env: {},
      flags: [{ key: "bridge.port", value: undefined, flag: "--port" }],
    });
    expect(c.bridge.port).toBe(9000);
  });
  test("the seed's POOL_URL, POOL_USER, POOL_PASS and DEBUG", () => {
    const c = loadConfig({
      file: null,
      env: {
        POOL_URL: "stratum+tcp://a:1, stratum+tcp://b:2",
        POOL_USER: "RAddr.w",
        POOL_PASS: "p",
        DEBUG: "1",
      },
    });
    expect(c.upstream.pools).toEqual(["stratum+tcp://a:1", "stratum+tcp://b:2"]);
    expect(c.upstream).toMatchObject({ user: "RAddr.w", pass: "p" });
    expect(c.debug).toBe(true);
  });
});

describe("errors: one line, naming key and origin, code E_CONFIG / E_CONFIG_FILE", () => {
  test.each([
    [
      "file",
      () => loadConfig({ file: file("[bridge]\nport = 70000\n"), env: {} }),
      /c\d+\.toml: bridge\.port must be a whole number from 1 to 65535 \(got 70000\)/,
    ],
    [
      "env",
      () => loadConfig({ file: null, env: { WS_PORT: "80a" } }),
      /environment WS_PORT: bridge\.port must be a whole number/,
    ],
    [
      "flag",
      () => loadConfig({ file: null, env: {}, flags: [{ key: "impl", value: "sse9", flag: "--impl" }] }),
      /--impl: impl must be one of "auto", "portable", "aesni", "armv8"/,
    ],
    [
      "unknown key",
      () => loadConfig({ file: file("[bridge]\nprot = 1\n"), env: {} }),
      /unknown key bridge\.prot \(known in \[bridge\]: host, port, stratum_port/,
    ],
    [
      "wrong type",
      () => loadConfig({ file: file('debug = "yes please"\n'), env: {} }),
      /debug must be true or false/,
    ],
    [
      "empty pool list",
      () => loadConfig({ file: file("[upstream]\npools = []\n"), env: {} }),
      /upstream\.pools must have 1\.\.16 entries/,
    ],
    [
      "real pool without a user",
      () => loadConfig({ file: null, env: { POOL_URL: "stratum+tcp://pool:3956" } }),
      /upstream\.user is required for stratum\+tcp:\/\/pool:3956/,
    ],
    [
      "a trusted proxy that is not an address or CIDR",
      () => loadConfig({ file: file('[bridge]\ntrusted_proxies = ["10.0.0.1/8"]\n'), env: {} }),
      /bridge\.trusted_proxies: bad address "10\.0\.0\.1\/8": host bits are set/,
    ],
    [
      "a certificate without its key",
      () => loadConfig({ file: file('[bridge]\ntls_cert = "c.pem"\n'), env: {} }),
      /bridge\.tls_cert and bridge\.tls_key go together/,
    ],
    [
      "a Stratum TLS port without a certificate",
      () => loadConfig({ file: file("[bridge]\nstratum_tls_port = 3443\n"), env: {} }),
      /bridge\.stratum_tls_port needs bridge\.tls_cert/,
    ],
    [
      "the built-in pool's TLS port without a certificate",
      () => loadConfig({ file: file("[builtin_pool]\ntls_port = 3443\n"), env: {} }),
      /builtin_pool\.tls_port needs builtin_pool\.tls_cert/,
    ],
    [
      "an unknown PROXY protocol mode",
      () => loadConfig({ file: file('[bridge]\nproxy_protocol = "v2"\n'), env: {} }),
      /bridge\.proxy_protocol must be one of "off", "optional", "required"/,
    ],
  ])("%s", (_name, load, message) => {
    expect(codeOf(load)).toBe("E_CONFIG");
    const m = messageOf(load);
    expect(m).toMatch(message);
    expect(m).not.toContain("\n");
  });

  test("TOML syntax errors name file, line and column", () => {
    const load = () => loadConfig({ file: file("mode = \n"), env: {} });
    expect(codeOf(load)).toBe("E_CONFIG_FILE");
    expect(messageOf(load)).toMatch(/c\d+\.toml:1:\d+: /);
  });

  test("a config file given explicitly must exist", () => {
    const load = () => loadConfig({ file: join(dir, "nope.toml"), env: {} });
    expect(codeOf(load)).toBe("E_CONFIG_FILE");
    expect(messageOf(load)).toContain("no such file");
  });
});

test("the result is frozen all the way down", () => {
  const c = loadConfig({ file: null, env: {} });
  expect(Object.isFrozen(c)).toBe(true);
  expect(Object.isFrozen(c.upstream)).toBe(true);
  expect(Object.isFrozen(c.upstream.pools)).toBe(true);
});
