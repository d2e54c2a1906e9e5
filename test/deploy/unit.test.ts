// unit.test.ts — deploy/vbridge.service as an operator installs it: `systemd-analyze verify` accepts
// it without a warning where systemd is installed (it works without systemd running as PID 1), and
// everywhere its keys are checked against issue 11's list (own user, state directory for the ledger,
// fd limit, sandbox, restart, a reload that sends SIGHUP) and against the CLI it starts.

import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configArgs } from "../../src/cli/config.ts";

const ROOT = join(import.meta.dir, "../..");
const UNIT_FILE = join(ROOT, "deploy/vbridge.service");
const UNIT = readFileSync(UNIT_FILE, "utf8");

type Unit = Map<string, Map<string, string[]>>;

/** systemd's unit syntax as far as this file uses it: [Section], Key=Value, # and ; comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (kv === null || section === undefined || line.endsWith("\\")) {
      throw new Error(`deploy/vbridge.service:${i + 1}: not a Key=Value line in a section: ${line}`);
    }
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  }
  return unit;
}

/** The one value of `key` in `section` (a repeated key here would be a mistake). */
function one(unit: Unit, section: string, key: string): string | undefined {
  const values = unit.get(section)?.get(key);
  if (values !== undefined && values.length !== 1) throw new Error(`${key} is set ${values.length} times`);
  return values?.[0];
}

describe("deploy/vbridge.service keys", () => {
  const unit = parseUnit(UNIT);
  const service = (key: string) => one(unit, "Service", key);

  test("runs as its own user, with the ledger in its state directory", () => {
    expect(service("DynamicUser") === "yes" || service("User") !== undefined).toBe(true);
    expect(service("StateDirectory")).toBe("vbridge");
    expect(service("WorkingDirectory")).toBe("/var/lib/vbridge");
    expect(service("ConfigurationDirectory")).toBe("vbridge");
  });

  test("starts `vbridge bridge --config /etc/vbridge/config.toml` after the network is online", () => {
    expect(service("ExecStart")).toBe("/usr/local/bin/vbridge bridge --config /etc/vbridge/config.toml");
    expect(Object.keys(configArgs("bridge"))).toContain("config");
    expect(one(unit, "Unit", "After")).toContain("network-online.target");
    expect(one(unit, "Unit", "Wants")).toContain("network-online.target");
    expect(one(unit, "Install", "WantedBy")).toBe("multi-user.target");
  });

  test("reload sends SIGHUP; restarts on failure but not on a bad setting (exit 2)", () => {
    expect(service("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
    expect(service("Restart")).toBe("on-failure");
    expect(service("RestartPreventExitStatus")).toBe("2");
  });

  test("the fd limit, the one capability (ports below 1024) and the sandbox", () => {
    expect(Number(service("LimitNOFILE"))).toBeGreaterThanOrEqual(65536);
    expect(service("AmbientCapabilities")).toBe("CAP_NET_BIND_SERVICE");
    expect(service("CapabilityBoundingSet")).toBe("CAP_NET_BIND_SERVICE");
    for (const key of ["NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"]) {
      expect([key, service(key)]).toEqual([key, "yes"]);
    }
    expect(service("ProtectSystem")).toBe("strict");
    expect(service("RestrictAddressFamilies")?.split(/\s+/).sort()).toEqual([
      "AF_INET",
      "AF_INET6",
      "AF_UNIX",
    ]);
    // Bun's JIT needs writable+executable memory (the unit's comment says why it is not set).
    expect(service("MemoryDenyWriteExecute")).toBeUndefined();
  });
});

/** systemd-analyze, if it can verify a known-good unit here; otherwise why not. */
function analyzer(): { bin: string } | { reason: string } {
  const bin = Bun.which("systemd-analyze");
  if (bin === null) return { reason: "systemd-analyze is not installed (Debian package systemd)" };
  const dir = mkdtempSync(join(tmpdir(), "vbridge-unit-probe-"));
  try {
    const probe = join(dir, "probe.service");
    writeFileSync(probe, "[Service]\nExecStart=/bin/true\n");
    const r = Bun.spawnSync([bin, "verify", probe], { stderr: "pipe", stdout: "pipe" });
    if (r.exitCode !== 0) return { reason: `systemd-analyze verify fails here:\n${r.stderr.toString()}` };
    return { bin };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The unit with ExecStart pointed at an executable that exists here (verify checks it). */
function installable(text: string): string {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const built = join(ROOT, `dist/vbridge-linux-${arch}`);
  const exe = existsSync(built) ? built : "/bin/true";
  return text.replace(/^ExecStart=\/usr\/local\/bin\/vbridge /m, `ExecStart=${exe} `);
}

/** verify's exit code and the lines of its output that concern our unit (not other system units). */
function verify(bin: string, text: string): { exitCode: number; complaints: string[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "vbridge-unit-"));
  try {
    const file = join(dir, "vbridge.service");
    writeFileSync(file, text);
    const r = Bun.spawnSync([bin, "verify", file], { stderr: "pipe", stdout: "pipe" });
    const stderr = r.stderr.toString() + r.stdout.toString();
    const complaints = stderr.split("\n").filter((l) => l.includes("vbridge.service"));
    return { exitCode: r.exitCode, complaints, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const analyze = analyzer();
if ("reason" in analyze) console.info(`skipping systemd-analyze verify: ${analyze.reason}`);

describe.skipIf("reason" in analyze)("systemd-analyze verify", () => {
  const bin = "bin" in analyze ? analyze.bin : "";

  test("accepts deploy/vbridge.service without a warning", () => {
    const r = verify(bin, installable(UNIT));
    if (r.exitCode !== 0 || r.complaints.length > 0) console.error(r.stderr);
    expect(r.exitCode).toBe(0);
    expect(r.complaints).toEqual([]);
  });

  test("its commented Let's Encrypt credentials are valid lines too, once uncommented", () => {
    const dir = mkdtempSync(join(tmpdir(), "vbridge-unit-tls-"));
    try {
      // The paths need not exist for verify; point them at real files anyway.
      copyFileSync(UNIT_FILE, join(dir, "fullchain.pem"));
      const text = installable(UNIT).replace(
        /^#(LoadCredential=\S+?:)\S+$/gm,
        `$1${join(dir, "fullchain.pem")}`,
      );
      expect(text).toContain("\nLoadCredential=privkey.pem:");
      const r = verify(bin, text);
      if (r.complaints.length > 0) console.error(r.stderr);
      expect(r.complaints).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the check can fail: an unknown key is reported", () => {
    const r = verify(bin, installable(UNIT).replace("[Service]\n", "[Service]\nNoSuchKey=yes\n"));
    expect(r.complaints.join("\n")).toContain("NoSuchKey");
  });
});
