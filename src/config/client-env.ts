/**
 * The client side of configuration, kept free of the schema library so that CLI commands start
 * fast (loading the schema validator costs ~200 ms). It is the config context's second door,
 * allowed by scripts/check-architecture.mjs.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** The process environment; the CLI's entry point hands it to commands so tests can inject one. */
export function processEnv(): Env {
  return process.env;
}

/** Client-side settings (`--server`, `--token` fall back to these). */
export function clientEnv(env: Env = process.env): { server: string | undefined; token: string | undefined } {
  return { server: env['KILN_SERVER'] || undefined, token: env['KILN_TOKEN'] || undefined };
}
