// `import x from "./lib.so" with { type: "file" }` yields the file's path (on disk in development,
// under /$bunfs/ inside a compiled binary). TypeScript needs to be told the module's shape.
declare module "*.so" {
  const path: string;
  export default path;
}

// The browser miner's assets (src/downstream/web-assets.ts): the WebAssembly builds and the bundled
// scripts under build/, imported as files. Declared by name so TypeScript never reads the bundles.
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*/build/web/app.js" {
  const path: string;
  export default path;
}
declare module "*/build/web/miner-worker.js" {
  const path: string;
  export default path;
}
declare module "*/build/web/dashboard.js" {
  const path: string;
  export default path;
}
