/**
 * True when `error` (or an error it wraps, as loaders and test mocks do) says that package `name` is not
 * installed: how a method backed by an optional package tells "install it" from "it is broken".
 */
export function isMissingPackage(error: unknown, name: string): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && e.message.includes(name))
      return true;
  }
  return false;
}
