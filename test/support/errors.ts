/** The stable `code` of what `f` throws, or undefined if it returns: tests assert codes, not prose. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}
