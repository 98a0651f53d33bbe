/**
 * Session keys: created from the signer for the policy package's ORIGINAL id, exportable to a
 * plain object (held in memory by the caller; it contains a secret and is never written by us),
 * and renewed before expiry so long batches never send an expired certificate.
 */
import { SessionKey, type ExportedSessionKey, type SealCompatibleClient } from '@mysten/seal';
import type { Signer } from '@mysten/sui/cryptography';
import { InvalidInputError } from '../errors.js';
import { normalizeObjectId } from '../identity.js';

/** The SDK treats a key as expired 10 s before its TTL ends (`isExpired`). */
export const SDK_EXPIRY_MARGIN_MS = 10_000;
export const DEFAULT_SESSION_TTL_MIN = 10;
export const MAX_SESSION_TTL_MIN = 30;

export interface CreateSessionKeyOptions {
	suiClient: SealCompatibleClient;
	signer: Signer;
	/** Original (version 1) package id of the policy package. */
	packageId: string;
	/** 1..30 minutes (the key server's default maximum is 30). */
	ttlMin?: number;
}

/**
 * A signed session key. The personal message is signed right away so a bad signer fails here,
 * not in the middle of a key request.
 */
export async function createSessionKey(options: CreateSessionKeyOptions): Promise<SessionKey> {
	const ttlMin = options.ttlMin ?? DEFAULT_SESSION_TTL_MIN;
	if (!Number.isInteger(ttlMin) || ttlMin < 1 || ttlMin > MAX_SESSION_TTL_MIN) {
		throw new InvalidInputError('ttlMin', `must be an integer from 1 to ${MAX_SESSION_TTL_MIN}`);
	}
	const sessionKey = await SessionKey.create({
		address: options.signer.toSuiAddress(),
		packageId: normalizeObjectId(options.packageId),
		ttlMin,
		signer: options.signer,
		suiClient: options.suiClient,
	});
	await sessionKey.getCertificate();
	return sessionKey;
}

/**
 * A plain, structured-clone-friendly copy of a session key (the SDK's export object refuses
 * `JSON.stringify`). Contains the session secret: keep it in memory or a protected store.
 */
export type PortableSessionKey = Required<Omit<ExportedSessionKey, 'mvrName'>> & {
	mvrName?: string;
};

export function exportSessionKey(sessionKey: SessionKey): PortableSessionKey {
	const exported = sessionKey.export();
	if (exported.personalMessageSignature === undefined) {
		throw new InvalidInputError(
			'sessionKey',
			'has no personal-message signature yet; create it with createSessionKey',
		);
	}
	return {
		address: exported.address,
		packageId: exported.packageId,
		creationTimeMs: exported.creationTimeMs,
		ttlMin: exported.ttlMin,
		personalMessageSignature: exported.personalMessageSignature,
		sessionKey: exported.sessionKey,
		...(exported.mvrName === undefined ? {} : { mvrName: exported.mvrName }),
	};
}

/** Restores an exported key (offline). Throws the SDK's ExpiredSessionKeyError if it expired. */
export function importSessionKey(
	data: PortableSessionKey,
	suiClient: SealCompatibleClient,
	signer?: Signer,
): SessionKey {
	return SessionKey.import(data, suiClient, signer);
}

/** Epoch ms from which the SDK considers the key expired. */
export function sessionKeyExpiresAt(sessionKey: Pick<SessionKey, 'export'>): number {
	const { creationTimeMs, ttlMin } = sessionKey.export();
	return creationTimeMs + ttlMin * 60_000 - SDK_EXPIRY_MARGIN_MS;
}

export interface SessionKeyRenewerOptions<K> {
	/** Makes a fresh, signed key (usually `() => createSessionKey(...)`). */
	create: () => Promise<K>;
	/** Renew when less than this much validity is left. Default 60 s. */
	renewBeforeMs?: number;
	now?: () => number;
}

/**
 * Hands out a session key that stays valid for at least `renewBeforeMs`, creating a new one
 * when the current one gets close to expiry. Call `current()` before each key request.
 */
export class SessionKeyRenewer<K extends Pick<SessionKey, 'export'> = SessionKey> {
	readonly #create: () => Promise<K>;
	readonly #renewBeforeMs: number;
	readonly #now: () => number;
	#key: K | undefined;
	#pending: Promise<K> | undefined;
	#renewals = 0;

	constructor(options: SessionKeyRenewerOptions<K>) {
		this.#create = options.create;
		this.#renewBeforeMs = options.renewBeforeMs ?? 60_000;
		this.#now = options.now ?? Date.now;
	}

	/** How many keys were created so far (the first one included). */
	get created(): number {
		return this.#renewals;
	}

	/** True when `key` would be renewed now. */
	needsRenewal(key: K): boolean {
		return sessionKeyExpiresAt(key) - this.#now() <= this.#renewBeforeMs;
	}

	async current(): Promise<K> {
		if (this.#key !== undefined && !this.needsRenewal(this.#key)) return this.#key;
		// One creation at a time, even when several chunks ask concurrently.
		this.#pending ??= this.#create().then(
			(key) => {
				this.#key = key;
				this.#renewals += 1;
				this.#pending = undefined;
				return key;
			},
			(error: unknown) => {
				this.#pending = undefined;
				throw error;
			},
		);
		return this.#pending;
	}
}
