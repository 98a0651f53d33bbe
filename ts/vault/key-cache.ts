/**
 * Unsealed epoch keys, held for the session-key lifetime and zeroed when dropped (expiry, `clear`,
 * or replacement). Keys are never logged or persisted.
 */
export class EpochKeyCache {
	readonly #keys = new Map<number, { key: Uint8Array; expiresAtMs: number }>();
	readonly #now: () => number;

	constructor(now: () => number = Date.now) {
		this.#now = now;
	}

	get(epoch: number): Uint8Array | undefined {
		const entry = this.#keys.get(epoch);
		if (entry === undefined) return undefined;
		if (entry.expiresAtMs <= this.#now()) {
			this.drop(epoch);
			return undefined;
		}
		return entry.key;
	}

	set(epoch: number, key: Uint8Array, expiresAtMs: number): void {
		this.drop(epoch);
		this.#keys.set(epoch, { key, expiresAtMs });
	}

	drop(epoch: number): void {
		const entry = this.#keys.get(epoch);
		if (entry === undefined) return;
		entry.key.fill(0);
		this.#keys.delete(epoch);
	}

	/** Epochs with a live key. */
	get size(): number {
		for (const epoch of [...this.#keys.keys()]) this.get(epoch);
		return this.#keys.size;
	}

	clear(): void {
		for (const epoch of [...this.#keys.keys()]) this.drop(epoch);
	}
}
