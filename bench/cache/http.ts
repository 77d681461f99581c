/** HTTP client measurements outside Nix. */
import { run } from './proc.js';

export interface Download {
  bytes: number;
  ms: number;
}

/**
 * GETs `url` with curl and discards the body. curl (libcurl, as in Nix) rather than node:http:
 * node's client tops out at about 600 MB/s on this kind of machine, below what nginx serves over
 * loopback, so it would measure itself and squeeze the ratio towards 1.
 */
export async function download(url: string): Promise<Download> {
  const out = await run('curl', [
    '--silent',
    '--show-error',
    '--fail',
    '--output',
    '/dev/null',
    '--write-out',
    '%{size_download} %{time_total}',
    url,
  ]);
  const [bytes, secondsText] = out.trim().split(' ');
  return { bytes: Number(bytes), ms: Number(secondsText) * 1000 };
}

/** GETs a text resource (a narinfo). */
export async function getText(url: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return res.text();
}

/** The fields of a narinfo, `Key: value` per line. */
export function narinfoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  return fields;
}
