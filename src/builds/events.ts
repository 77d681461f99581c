import { EventEmitter } from 'node:events';
import type { BuildEvent } from './types.js';

/** In-process fan-out of build events; subscribers treat them as hints and re-read the store. */
export class BuildEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every SSE client subscribes; the default limit of 10 would warn spuriously.
    this.#emitter.setMaxListeners(0);
  }

  emit(event: BuildEvent): void {
    this.#emitter.emit(event.buildId, event);
    this.#emitter.emit('*', event);
  }

  /** Subscribes to one build (or '*' for all); returns the unsubscribe function. */
  subscribe(buildId: string, listener: (event: BuildEvent) => void): () => void {
    this.#emitter.on(buildId, listener);
    return () => this.#emitter.off(buildId, listener);
  }
}
