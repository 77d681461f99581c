import { KilnError } from '../errors/index.js';
import { NAR_MAGIC, narStrings, padding, u64 } from './nar-framing.js';
import type { NarEvent } from './nar-parse.js';

function misuse(message: string): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', `cannot serialise NAR events: ${message}`);
}

/**
 * Turns parser events back into NAR bytes; `writeNar(parseNar(x))` reproduces `x` exactly. Entry
 * names and their framing come from the event paths, so events must arrive in parser order.
 */
export async function* writeNar(
  events: AsyncIterable<NarEvent>,
): AsyncGenerator<Uint8Array, void, undefined> {
  yield narStrings(NAR_MAGIC);
  let fileLeft = 0;
  let fileSize = 0;
  for await (const event of events) {
    const name = event.path[event.path.length - 1];
    // Entering a node that lives inside a directory: open its entry first.
    const opensEntry =
      name !== undefined && (event.type === 'directory' || event.type === 'file' || event.type === 'symlink');
    if (opensEntry) yield narStrings('entry', '(', 'name', name, 'node');
    switch (event.type) {
      case 'directory':
        yield narStrings('(', 'type', 'directory');
        break;
      case 'file':
        fileLeft = fileSize = event.size;
        yield Buffer.concat([
          narStrings('(', 'type', 'regular', ...(event.executable ? ['executable', ''] : []), 'contents'),
          u64(event.size),
        ]);
        break;
      case 'file-data':
        fileLeft -= event.data.length;
        if (fileLeft < 0) throw misuse('more file data than the announced size');
        yield event.data;
        break;
      case 'file-end':
        if (fileLeft !== 0) throw misuse('less file data than the announced size');
        yield Buffer.concat([new Uint8Array(padding(fileSize)), narStrings(')')]);
        break;
      case 'symlink':
        yield narStrings('(', 'type', 'symlink', 'target', event.target, ')');
        break;
      case 'directory-end':
        yield narStrings(')');
        break;
    }
    const closesNode =
      event.type === 'file-end' || event.type === 'symlink' || event.type === 'directory-end';
    if (closesNode && name !== undefined) yield narStrings(')');
  }
}
