/**
 * TLS certificates of the long-running commands: loaded and checked at start (a bad file is one
 * line naming it, exit 2), and reloaded without dropping a connection on SIGHUP
 * (`systemctl reload vbridge`) and when the files change (certbot renews by replacing files, with
 * no signal). A reload that fails keeps the certificate in use and says why in the log.
 */
import type { TlsPair } from "../net/listener.ts";
import { loadTlsMaterial, watchTlsFiles, type TlsMaterial } from "../net/tls-files.ts";
import type { Logger } from "../util/log.ts";

export interface CertificateFiles {
  cert: string;
  key: string;
  /** The settings' names, for messages ("bridge.tls_cert"). */
  names: { cert: string; key: string };
}

/** Reads both files, or null when none are configured; throws TlsFileError (exit 2). */
export function loadCertificate(f: CertificateFiles): TlsMaterial | null {
  if (f.cert === "" && f.key === "") return null;
  return loadTlsMaterial(f.cert, f.key, f.names);
}

export function describe(m: TlsMaterial): string {
  return `${m.subject}, valid until ${m.notAfter}, sha256 ${m.fingerprint256}`;
}

/**
 * Reloads on SIGHUP and on file changes; `apply` hands the new pair to the listeners. Returns a
 * stop function. `intervalMs`: how often the files are looked at (tests shorten it). Without a
 * certificate (null) SIGHUP is still taken, and said to have nothing to do: its default action
 * would end the process, and systemd counts that as a clean exit, never restarted.
 */
export function reloadCertificates(
  f: CertificateFiles | null,
  apply: (pair: TlsPair) => void,
  log: Logger,
  intervalMs = 5000,
): () => void {
  if (f === null) {
    const onHup = () => log.info("SIGHUP: no TLS certificate configured, nothing to reload");
    process.on("SIGHUP", onHup);
    return () => process.off("SIGHUP", onHup);
  }
  let stopWatch = () => {};
  const watch = () => {
    stopWatch = watchTlsFiles([f.cert, f.key], () => reload("the files changed"), intervalMs);
  };
  const reload = (why: string) => {
    // The watcher starts again from the files as they are now: a change SIGHUP already applied
    // is not applied (and logged) a second time.
    stopWatch();
    watch();
    try {
      const m = loadTlsMaterial(f.cert, f.key, f.names);
      apply({ cert: m.cert, key: m.key });
      log.info(`TLS certificate reloaded (${why}): ${describe(m)}`);
    } catch (e) {
      log.error(
        `TLS certificate not reloaded (${why}), the previous one stays: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };
  const onHup = () => reload("SIGHUP");
  process.on("SIGHUP", onHup);
  watch();
  return () => {
    process.off("SIGHUP", onHup);
    stopWatch();
  };
}
