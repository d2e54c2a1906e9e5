// `import x from "./lib.so" with { type: "file" }` yields the file's path (on disk in development,
// under /$bunfs/ inside a compiled binary). TypeScript needs to be told the module's shape.
declare module "*.so" {
  const path: string;
  export default path;
}
