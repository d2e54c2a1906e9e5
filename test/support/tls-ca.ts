// tls-ca.ts — a certificate authority made by the test, with the openssl CLI (Debian's `openssl`),
// so TLS tests run against real certificates without a network or a checked-in key: an EC P-256 CA
// and any number of leaves for localhost, 127.0.0.1 and ::1 signed by it (two leaves for the same
// names is how the certificate-swap test tells the old certificate from the new one). Everything
// lives in one temporary directory that cleanup() removes.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestLeaf {
  /** The leaf alone (PEM). */
  readonly certFile: string;
  /** Its private key (PKCS#8 PEM). */
  readonly keyFile: string;
  /** Leaf then CA (PEM): what a server that sends its chain is configured with. */
  readonly chainFile: string;
  /** Lowercase hex SHA-256 of the leaf's DER: the form a certificate pin takes. */
  readonly fingerprint256: string;
  /** Base64 SHA-256 of the leaf's SubjectPublicKeyInfo (Chromium's --ignore-certificate-errors-spki-list). */
  readonly spkiSha256Base64: string;
}

export interface TestCa {
  readonly dir: string;
  /** The CA certificate (PEM): what a client trusts. */
  readonly caFile: string;
  /** A new key and leaf certificate for `name` (a file-name stem; names need not be unique). */
  issue(name: string): TestLeaf;
  cleanup(): void;
}

// The leaf names are the loopback ones the tests use; serverAuth so strict clients (Chromium) accept
// it, CA:FALSE and a short life (2 days) because nothing outlives a test run.
const OPENSSL_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = vbridge test CA
[ca_ext]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
`;
const DAYS = "2";

function openssl(args: string[], stdin?: Uint8Array): Uint8Array {
  const bin = Bun.which("openssl");
  if (bin === null) throw new Error("tls-ca: the openssl CLI is not installed (Debian package openssl)");
  // A fixed config: the machine's openssl.cnf must not add or change extensions.
  const env = { ...process.env, OPENSSL_CONF: "/dev/null" };
  const r = Bun.spawnSync([bin, ...args], { env, stdin, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tls-ca: openssl ${args[0]} failed:\n${r.stderr.toString()}`);
  return r.stdout;
}

function ecKey(file: string): void {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file]);
}

/** The DER bytes of the first certificate in a PEM text. */
function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (m === null) throw new Error("tls-ca: no certificate in the PEM text");
  return Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
}

function sha256(bytes: Uint8Array, encoding: "hex" | "base64"): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest(encoding);
}

/** A new CA in `dir` (created if missing; a fresh temporary directory by default). */
export function makeTestCa(dir?: string): TestCa {
  const root = dir ?? mkdtempSync(join(tmpdir(), "vbridge-ca-"));
  mkdirSync(root, { recursive: true });
  const cnf = join(root, "openssl.cnf");
  writeFileSync(cnf, OPENSSL_CNF);
  const caKey = join(root, "ca.key");
  const caFile = join(root, "ca.pem");
  ecKey(caKey);
  writeFileSync(
    caFile,
    openssl(["req", "-new", "-x509", "-config", cnf, "-extensions", "ca_ext", "-key", caKey, "-days", DAYS]),
  );
  const caPem = readFileSync(caFile, "utf8");
  let count = 0;

  return {
    dir: root,
    caFile,
    issue(name: string): TestLeaf {
      const stem = join(root, `${name}-${++count}`);
      const keyFile = `${stem}.key`;
      const certFile = `${stem}.pem`;
      const chainFile = `${stem}-chain.pem`;
      ecKey(keyFile);
      const csr = openssl(["req", "-new", "-config", cnf, "-key", keyFile, "-subj", "/CN=localhost"]);
      // A random serial: two leaves of one CA must differ even when made in the same second.
      const serial = `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex")}`;
      const pem = openssl(
        [
          "x509",
          "-req",
          "-CA",
          caFile,
          "-CAkey",
          caKey,
          "-set_serial",
          serial,
          "-days",
          DAYS,
          "-sha256",
        ].concat(["-extfile", cnf, "-extensions", "leaf_ext"]),
        csr,
      );
      writeFileSync(certFile, pem);
      const leafPem = Buffer.from(pem).toString("utf8");
      writeFileSync(chainFile, leafPem + caPem);
      const spki = openssl(["pkey", "-in", keyFile, "-pubout", "-outform", "DER"]);
      return {
        certFile,
        keyFile,
        chainFile,
        fingerprint256: sha256(pemToDer(leafPem), "hex"),
        spkiSha256Base64: sha256(spki, "base64"),
      };
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
