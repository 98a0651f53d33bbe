/**
 * `fetch_key` after the HTTP layer: Mysten's checks in Mysten's order (PTB rules, original
 * package, MVR name, certificate time, address aliases, user signature, session signature,
 * policy), then one ElGamal-wrapped IBE user key per PTB command.
 */
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { KeyServerRequestError } from './errors.js';
import { checkAddressAliases, type AddressAliasLookup } from './address-aliases.js';
import {
	checkCertificateTime,
	checkSessionSignature,
	checkUserSignature,
	signedRequestBytes,
} from './certificate.js';
import type { PolicyEvaluator } from './evaluator.js';
import type { KeyDeriver } from './key-pool.js';
import type { KeyServerMetrics } from './metrics.js';
import type { PackageResolver } from './packages.js';
import { checkMvrName, MVR_UNSUPPORTED, type MvrLookup } from './mvr.js';
import { MESSAGES } from './protocol.js';
import type { FetchKeyRequest } from './request.js';
import { validatePtbBase64 } from './valid-ptb.js';

export interface FetchKeyContext {
	/** Holds the master key (inline or in worker threads). */
	keys: KeyDeriver;
	/**
	 * Permissioned mode: the key (position in `keys`) for a first-version package id, undefined
	 * when no client lists it (`UnsupportedPackageId`). Omitted = Open mode, key 0 for all.
	 */
	keyFor?: (originalPackageId: string) => number | undefined;
	evaluator: PolicyEvaluator;
	packages: PackageResolver;
	nowMs: number;
	ttlMaxMinutes: number;
	/** Used only to verify zkLogin user signatures. */
	suiClient?: ClientWithCoreApi;
	/** Mysten's address-alias check; omitted = no node to ask (offline), nobody has aliases. */
	addressAliases?: AddressAliasLookup;
	/** Resolves certificate MVR names; omitted = every name answers `Failure` (not mainnet/testnet). */
	mvr?: MvrLookup;
	metrics?: KeyServerMetrics;
}

/** Wire form: `id` as a JSON number array (full id), keys as base64 G1 `[c0, c1]`. */
export interface FetchKeyResponse {
	decryption_keys: { id: number[]; encrypted_key: [string, string] }[];
}

export interface FetchKeyOutcome {
	response: FetchKeyResponse;
	/** For the log line: package and count, never key material. */
	originalPackageId: string;
	user: string;
}

export async function fetchKey(
	request: FetchKeyRequest,
	ctx: FetchKeyContext,
): Promise<FetchKeyOutcome> {
	const validPtb = validatePtbBase64(request.ptbBase64);
	const lookup = () => ctx.packages.originalPackageId(validPtb.packageId);
	const original = ctx.metrics
		? await ctx.metrics.time(ctx.metrics.fetchPkgIdsDuration, lookup)
		: await lookup();
	if (!original) throw new KeyServerRequestError('InvalidPackage', MESSAGES.InvalidPackage);
	// Upstream `has_key_for_package`: right after the package lookup, before any signature check.
	const key = ctx.keyFor ? ctx.keyFor(original) : 0;
	if (key === undefined) {
		throw new KeyServerRequestError('UnsupportedPackageId', MESSAGES.UnsupportedPackageId);
	}
	const cert = request.certificate;
	if (cert.mvrName !== undefined)
		await checkMvrName(ctx.mvr ?? MVR_UNSUPPORTED, cert.mvrName, original);
	checkCertificateTime(cert, ctx.nowMs, ctx.ttlMaxMinutes);
	if (ctx.addressAliases) await checkAddressAliases(ctx.addressAliases, cert.user);
	// The user signed the MVR name when the session key carries one, else the original id.
	await checkUserSignature(cert, cert.mvrName ?? original, ctx.suiClient);
	const ptbBytes = Uint8Array.from(Buffer.from(request.ptbBase64, 'base64'));
	await checkSessionSignature(
		cert,
		request.requestSignature,
		signedRequestBytes(ptbBytes, request.encKey, request.encVerificationKey),
	);
	const evaluate = () =>
		ctx.evaluator.evaluate({
			ptb: ptbBytes,
			validPtb,
			sender: cert.user,
			originalPackageId: original,
		});
	const decision = ctx.metrics
		? await ctx.metrics.time(ctx.metrics.checkPolicyDuration, evaluate)
		: await evaluate();
	// Upstream labels it with the PTB's package id (not the first version).
	if (ctx.keyFor && decision.computationCost !== undefined) {
		ctx.metrics?.dryRunGasCost.observe({ package: validPtb.packageId }, decision.computationCost);
	}
	if (!decision.allowed) throw denial(decision.error, decision.detail);
	const prefix = Buffer.from(original.slice(2), 'hex');
	const fullIds = validPtb.innerIds.map((innerId) =>
		Uint8Array.from(Buffer.concat([prefix, innerId])),
	);
	const wrapped = await ctx.keys.wrap(request.encKey, fullIds, key);
	const decryption_keys = fullIds.map((fullId, i) => ({
		id: Array.from(fullId),
		encrypted_key: [b64(wrapped[i]![0]), b64(wrapped[i]![1])] as [string, string],
	}));
	return { response: { decryption_keys }, originalPackageId: original, user: cert.user };
}

function denial(error: 'NoAccess' | 'InvalidPTB' | 'InvalidParameter' | 'Failure', detail: string) {
	switch (error) {
		case 'NoAccess':
			return new KeyServerRequestError('NoAccess', `Access denied: ${detail}`);
		case 'InvalidPTB':
			return new KeyServerRequestError('InvalidPTB', `Invalid PTB: ${detail}`);
		case 'InvalidParameter':
			return new KeyServerRequestError('InvalidParameter', `Invalid parameter to PTB: ${detail}`);
		case 'Failure':
			return new KeyServerRequestError('Failure', MESSAGES.Failure, { cause: new Error(detail) });
	}
}

function b64(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString('base64');
}
