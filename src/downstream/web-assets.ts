// web-assets.ts — the browser files, as http.ts serves them: the miner page (web/index.html),
// its script and mining worker (bundled from web/*.ts into build/web/ by `make web`) and the two
// VerusHash WebAssembly builds (build/wasm/, `make wasm`); the operator's dashboard
// (web/dashboard.html, /dashboard) and its script (build/web/dashboard.js). All of them are embedded in the compiled
// binary (`with { type: "file" }`; scripts/build.ts checks that they exist first).
//
// The imports are dynamic only so that a development checkout without the browser build still
// runs the bridge: those paths then answer 503 with the command that builds them.

import dashboard from "../../web/dashboard.html" with { type: "text" };
import page from "../../web/index.html" with { type: "text" };

export interface WebAsset {
  /** File path (on disk, or /$bunfs/ inside the binary); null when it was never built. */
  path: string | null;
  contentType: string;
}

async function embedded(load: () => Promise<{ default: string }>): Promise<string | null> {
  try {
    return (await load()).default;
  } catch {
    return null;
  }
}

const JS = "text/javascript; charset=utf-8";
const WASM = "application/wasm";

/** URL path → file. The page is served from memory (it is small text). */
export const WEB_ASSETS: Readonly<Record<string, WebAsset>> = {
  "/app.js": {
    path: await embedded(() => import("../../build/web/app.js", { with: { type: "file" } })),
    contentType: JS,
  },
  "/miner-worker.js": {
    path: await embedded(() => import("../../build/web/miner-worker.js", { with: { type: "file" } })),
    contentType: JS,
  },
  "/dashboard.js": {
    path: await embedded(() => import("../../build/web/dashboard.js", { with: { type: "file" } })),
    contentType: JS,
  },
  "/verushash.wasm": {
    path: await embedded(() => import("../../build/wasm/verushash.wasm", { with: { type: "file" } })),
    contentType: WASM,
  },
  "/verushash-simd.wasm": {
    path: await embedded(() => import("../../build/wasm/verushash-simd.wasm", { with: { type: "file" } })),
    contentType: WASM,
  },
};

export const PAGE_HTML: string = page as unknown as string;

/** The dashboard's page (/dashboard); its script is /dashboard.js above. */
export const DASHBOARD_HTML: string = dashboard as unknown as string;

/** What builds a missing asset, for the 503 message. */
export const BUILD_HINT = "run `make web wasm` in the vbridge checkout";
