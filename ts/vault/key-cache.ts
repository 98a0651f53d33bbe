/**
 * Unsealed epoch keys, held for the session-key lifetime. Callers never get the cache's key
 * array to keep: they take a lease, use `lease.key` synchronously, and release it. Dropping a
 * key (expiry, `clear`, `drop`, replacement) stops new leases and makes outstanding ones refuse
 * their key (`live` turns false), but the bytes are zeroed only when the last lease is released:
 * an operation holding a lease never sees its key turn into zeros under it, and no key is used
 * after it was dropped. Keys are never logged or persisted.
 */
import { VaultKeyDroppedError } from './errors.js';

interface Entry {
	readonly epoch: number;
	readonly key: Uint8Array;
	readonly expiresAtMs: number;
	/** Leases not yet released. */
	leases: number;
	/** Out of the cache: no new lease; zeroed once `leases` reaches 0. */
	dropped: boolean;
}

/** A use of one cached key. Read `key` only while `live`; always `release()` it. */
export interface KeyLease {
	readonly epoch: number;
	/** Whether the key is still in the cache and unexpired (else `key` throws). */
	readonly live: boolean;
	/** The key bytes; throws VaultKeyDroppedError once the key was dropped or the lease released. */
	readonly key: Uint8Array;
	/** Ends this use; the last release of a dropped key zeroes it. Idempotent. */
	release(): void;
}

export class EpochKeyCache {
	readonly #keys = new Map<number, Entry>();
	readonly #now: () => number;

	constructor(now: () => number = Date.now) {
		this.#now = now;
	}

	#usable(entry: Entry): boolean {
		return !entry.dropped && entry.expiresAtMs > this.#now();
	}

	/** A lease on `epoch`'s key, or undefined when it is not cached (or just expired). */
	lease(epoch: number): KeyLease | undefined {
		const entry = this.#keys.get(epoch);
		if (entry === undefined) return undefined;
		if (!this.#usable(entry)) {
			this.drop(epoch);
			return undefined;
		}
		return this.#lease(entry);
	}

	/**
	 * Caches `key` (the cache owns it from now on: the caller must not zero or keep it) and
	 * returns a lease on it for the caller, taken in the same step so nothing can drop it first.
	 */
	set(epoch: number, key: Uint8Array, expiresAtMs: number): KeyLease {
		this.drop(epoch);
		const entry: Entry = { epoch, key, expiresAtMs, leases: 0, dropped: false };
		this.#keys.set(epoch, entry);
		return this.#lease(entry);
	}

	#lease(entry: Entry): KeyLease {
		entry.leases += 1;
		let released = false;
		const usable = () => !released && this.#usable(entry);
		return {
			epoch: entry.epoch,
			get live() {
				return usable();
			},
			get key() {
				if (!usable()) {
					throw new VaultKeyDroppedError(
						entry.epoch,
						`epoch ${entry.epoch}'s key was dropped (forgotten, expired or the vault closed) while in use; retry the operation`,
					);
				}
				return entry.key;
			},
			release: () => {
				if (released) return;
				released = true;
				entry.leases -= 1;
				this.#zeroIfUnused(entry);
			},
		};
	}

	#zeroIfUnused(entry: Entry): void {
		if (entry.dropped && entry.leases === 0) entry.key.fill(0);
	}

	/** Takes `epoch`'s key out of the cache; it is zeroed now, or when its last lease ends. */
	drop(epoch: number): void {
		const entry = this.#keys.get(epoch);
		if (entry === undefined) return;
		this.#keys.delete(epoch);
		entry.dropped = true;
		this.#zeroIfUnused(entry);
	}

	/** Epochs with a live key. */
	get size(): number {
		for (const [epoch, entry] of [...this.#keys]) {
			if (!this.#usable(entry)) this.drop(epoch);
		}
		return this.#keys.size;
	}

	clear(): void {
		for (const epoch of [...this.#keys.keys()]) this.drop(epoch);
	}
}
