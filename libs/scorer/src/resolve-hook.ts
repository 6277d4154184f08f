// A module-resolution hook (see register.ts): `@hypotree/scorer` is this package, wherever the scorer lives.
interface ResolveResult {
  url: string;
  shortCircuit?: boolean;
}

/** Node's `resolve` hook: answers `@hypotree/scorer`, passes everything else on. */
export async function resolve(specifier: string, context: unknown, next: (specifier: string, context: unknown) => Promise<ResolveResult>): Promise<ResolveResult> {
  if (specifier === '@hypotree/scorer') return { url: new URL('./index.js', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
