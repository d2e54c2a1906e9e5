// chromium.ts — headless Chromium for the browser tests and bench/wasm.ts: Debian's chromium
// (scripts/apt-deps.sh installs it) driven by playwright-core, never a browser download. The flags
// keep it off the network: without the background-networking ones, Chromium's own connections are
// refused by a closed sandbox network, many at a time, at every start.

import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox", // root in CI containers
  "--disable-gpu",
  "--disable-dev-shm-usage", // containers often have a tiny /dev/shm
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** A fresh browser (playwright gives it a new empty profile). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
