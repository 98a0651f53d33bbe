/**
 * One aggregated `fetch_key`, as MystenLabs/seal crates/key-server/src/aggregator/server.rs
 * (`handle_fetch_key`, `fetch_from_member`, `validate_key_server_version`,
 * `handle_insufficient_responses`) and aggregator/utils.rs (`verify_decryption_keys`,
 * `aggregate_verified_encrypted_responses`) do it at ddc7e5d6:
 * - the unchanged request body goes to every member with `Client-Sdk-Type: aggregator`, the
 *   aggregator's version, the caller's `Request-Id` and the member's API key (a member without
 *   configured credentials is not asked: it counts as a `Failure`), each with the timeout;
 * - a member's answer counts only if: 2xx, `X-KeyServer-Version` meets
 *   `key_server_version_requirement`, the body parses, it has exactly the expected full ids (no
 *   duplicates, no others) and EVERY encrypted share verifies against the member's on-chain
 *   `partial_pk` under the client's `enc_verification_key`. A non-2xx JSON `{error, message}` is
 *   the member's error; anything else is `Failure`;
 * - as soon as `threshold` answers count, the rest are dropped; when threshold can no longer be
 *   reached, the most frequent member error is returned (no errors → `Failure`);
 * - the `threshold` verified answers are combined per key id by Lagrange interpolation at 0 with
 *   x = party_id + 1 (crates/crypto/src/elgamal.rs `aggregate_encrypted`), which gives an ElGamal
 *   encryption of the committee's user key under the client's `enc_key`.
 * API keys and shares are never logged.
 */
import { lagrangeAtZero, type WrappedKey } from '../curve/curve.js';
import type { Logger } from '../../logger.js';
import { MESSAGES, STATUS_BY_ERROR } from '../protocol.js';
import { decodeBase64Strict } from '../request.js';
import type { FetchKeyResponse } from '../fetch-key.js';
import type { PartialKeyServer } from '../committee/chain.js';
import type { ApiCredentials } from './config.js';
import type { CurvePool } from './curve-pool.js';
import type { AggregatorMetrics } from './metrics.js';
import type { VersionReq } from './version-req.js';

/** A wire error `{error, message}` (a member's, relayed, or the aggregator's own). */
export class AggregatorWireError extends Error {
	override name = 'AggregatorWireError';
	readonly error: string;
	readonly wireMessage: string;
	constructor(error: string, wireMessage: string, options: { cause?: unknown } = {}) {
		super(`${error}: ${wireMessage}`, options);
		this.error = error;
		this.wireMessage = wireMessage;
	}
	/** `ErrorResponse::into_response`: the status follows the name; unknown names are 503. */
	get status(): number {
		if (this.error === 'InvalidSDKType') return 400;
		return (STATUS_BY_ERROR as Record<string, number>)[this.error] ?? 503;
	}
}

/** `InternalError::Failure(detail)`: the detail goes to the log, the wire gets the fixed text. */
export function failure(detail: string): AggregatorWireError {
	return new AggregatorWireError('Failure', MESSAGES.Failure, { cause: new Error(detail) });
}

export interface CommitteeSnapshot {
	threshold: number;
	members: PartialKeyServer[];
}

export interface FanOutContext {
	committee: CommitteeSnapshot;
	apiCredentials: Map<string, ApiCredentials>;
	timeoutMs: number;
	keyServerVersionRequirement: VersionReq;
	/** Sent as `Client-Sdk-Version` (the aggregator's own version). */
	version: string;
	pool: CurvePool;
	logger: Logger;
	metrics?: AggregatorMetrics;
	fetch?: typeof fetch;
}

export interface FanOutRequest {
	/** The client's body, forwarded byte for byte. */
	body: Uint8Array;
	requestId: string;
	encVerificationKey: Uint8Array;
	/** Distinct expected full ids, in PTB order. */
	expectedFullIds: Uint8Array[];
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export async function aggregateFetchKey(
	request: FanOutRequest,
	ctx: FanOutContext,
): Promise<FetchKeyResponse> {
	const { threshold, members } = ctx.committee;
	const abort = new AbortController();
	const expected = new Map(request.expectedFullIds.map((id) => [hex(id), id]));

	const asks = members.map(async (member) => {
		const started = performance.now();
		try {
			const shares = await fetchFromMember(member, request, expected, ctx, abort.signal);
			return { partyId: member.partyId, shares };
		} catch (error) {
			const wire = error instanceof AggregatorWireError ? error : failure(String(error));
			// Threshold was reached and this member was dropped: not its error (upstream drops the future).
			if (abort.signal.aborted) throw wire;
			ctx.metrics?.upstreamErrors.inc({ key_server_name: member.name, error_type: wire.error });
			const cause = wire.cause instanceof Error ? `: ${wire.cause.message}` : '';
			ctx.logger.debug(
				`party ${member.partyId} (${member.url}) req ${request.requestId}: ${wire.error}${cause}`,
			);
			throw wire;
		} finally {
			if (!abort.signal.aborted) {
				ctx.metrics?.memberFetchDuration.observe(
					{ key_server_name: member.name },
					performance.now() - started,
				);
			}
		}
	});

	const good: { partyId: number; shares: Map<string, WrappedKey> }[] = [];
	const errors: AggregatorWireError[] = [];
	await new Promise<void>((resolve) => {
		let completed = 0;
		if (members.length === 0) return resolve();
		for (const ask of asks) {
			ask
				.then(
					(answer) => good.length < threshold && good.push(answer),
					(error: AggregatorWireError) => errors.push(error),
				)
				.finally(() => {
					completed++;
					const remaining = members.length - completed;
					if (good.length >= threshold || good.length + remaining < threshold) resolve();
				});
		}
	});
	abort.abort();

	if (good.length < threshold) {
		throw majorityError(errors, good.length, threshold);
	}
	const chosen = good.slice(0, threshold);
	const coefficients = lagrangeAtZero(chosen.map((g) => BigInt(g.partyId) + 1n));
	const ids = [...expected.keys()];
	const perKey = ids.map((id) => chosen.map((g) => g.shares.get(id)!));
	// Split the keys over the workers (each key: 2·threshold G1 multiplications).
	const chunk = Math.max(1, Math.ceil(ids.length / Math.max(1, ctx.pool.workers)));
	const parts: Promise<WrappedKey[]>[] = [];
	for (let i = 0; i < perKey.length; i += chunk) {
		parts.push(
			ctx.pool
				.run({ kind: 'combine', shares: perKey.slice(i, i + chunk), coefficients })
				.then((result) => ('keys' in result ? result.keys : [])),
		);
	}
	let combined: WrappedKey[];
	try {
		combined = (await Promise.all(parts)).flat();
	} catch (error) {
		throw failure(`Aggregating responses failed: ${(error as Error).message}`);
	}
	return {
		decryption_keys: ids.map((id, i) => ({
			id: Array.from(expected.get(id)!),
			encrypted_key: [b64(combined[i]![0]), b64(combined[i]![1])] as [string, string],
		})),
	};
}

function majorityError(
	errors: AggregatorWireError[],
	got: number,
	threshold: number,
): AggregatorWireError {
	const counts = new Map<string, { count: number; first: AggregatorWireError }>();
	for (const error of errors) {
		const entry = counts.get(error.error);
		if (entry) entry.count++;
		else counts.set(error.error, { count: 1, first: error });
	}
	let best: { count: number; first: AggregatorWireError } | undefined;
	for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
	return best?.first ?? failure(`Insufficient responses: got ${got}, need ${threshold}.`);
}

async function fetchFromMember(
	member: PartialKeyServer,
	request: FanOutRequest,
	expected: Map<string, Uint8Array>,
	ctx: FanOutContext,
	abort: AbortSignal,
): Promise<Map<string, WrappedKey>> {
	const creds = ctx.apiCredentials.get(member.name);
	if (!creds) {
		throw failure(`Missing API credentials config for server '${member.name}' (${member.url})`);
	}
	const doFetch = ctx.fetch ?? globalThis.fetch;
	let response: Response;
	let text: string;
	try {
		response = await doFetch(`${member.url}/v1/fetch_key`, {
			method: 'POST',
			headers: {
				'Client-Sdk-Type': 'aggregator',
				'Client-Sdk-Version': ctx.version,
				'Request-Id': request.requestId,
				'Content-Type': 'application/json',
				[creds.apiKeyName]: creds.apiKey,
			},
			body: request.body,
			signal: AbortSignal.any([abort, AbortSignal.timeout(ctx.timeoutMs)]),
		});
		text = await response.text();
	} catch (error) {
		throw failure(`Request failed (req_id: ${request.requestId}): ${(error as Error).message}`);
	}
	if (response.status < 200 || response.status > 299) {
		const relayed = errorResponse(text);
		if (relayed) throw relayed;
		throw failure(`HTTP ${response.status} from party ${member.partyId} (${member.url})`);
	}
	const version = response.headers.get('x-keyserver-version');
	if (version === null) throw failure('Missing key server version header: X-KeyServer-Version');
	if (!ctx.keyServerVersionRequirement.matches(version)) {
		throw failure(
			`Key server version ${version} does not meet requirement ${ctx.keyServerVersionRequirement.text}`,
		);
	}
	const keys = parseResponse(text);
	if (!keys) throw failure(`Parse failed from party ${member.partyId}`);

	// verify_decryption_keys: exactly the expected ids, then every share.
	if (keys.length !== expected.size) {
		throw failure(
			`party ${member.partyId} returned ${keys.length} key(s), expected ${expected.size}`,
		);
	}
	const seen = new Set(keys.map((k) => k.id));
	if (seen.size !== keys.length) throw failure(`duplicate key ids from party ${member.partyId}`);
	if ([...seen].some((id) => !expected.has(id))) {
		throw failure(`returned key ids did not match expected ids for party ${member.partyId}`);
	}
	const result = await ctx.pool.run({
		kind: 'verify',
		shares: keys.map((k) => k.share),
		fullIds: keys.map((k) => expected.get(k.id)!),
		ephemeralVk: request.encVerificationKey,
		partialPk: member.partialPk,
	});
	const ok = 'ok' in result ? result.ok : [];
	const bad = keys.findIndex((_, i) => ok[i] !== true);
	if (bad >= 0) {
		throw failure(`verification failed for party ${member.partyId} key_id=${keys[bad]!.id}`);
	}
	return new Map(keys.map((k) => [k.id, k.share]));
}

/** serde's `ErrorResponse { error: String, message: String }` (extra fields ignored). */
function errorResponse(text: string): AggregatorWireError | undefined {
	try {
		const value = JSON.parse(text) as unknown;
		if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
		const { error, message } = value as { error?: unknown; message?: unknown };
		if (typeof error !== 'string' || typeof message !== 'string') return undefined;
		return new AggregatorWireError(error, message);
	} catch {
		return undefined;
	}
}

/** `FetchKeyResponse`: `id` a byte array, `encrypted_key` two base64 48-byte G1 encodings. */
function parseResponse(text: string): { id: string; share: WrappedKey }[] | undefined {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return undefined;
	}
	const list = (value as { decryption_keys?: unknown } | null)?.decryption_keys;
	if (!Array.isArray(list)) return undefined;
	const out: { id: string; share: WrappedKey }[] = [];
	for (const entry of list) {
		const { id, encrypted_key } = (entry ?? {}) as { id?: unknown; encrypted_key?: unknown };
		if (
			!Array.isArray(id) ||
			!id.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)
		) {
			return undefined;
		}
		if (!Array.isArray(encrypted_key) || encrypted_key.length !== 2) return undefined;
		const [c0, c1] = encrypted_key.map((s) =>
			typeof s === 'string' ? decodeBase64Strict(s) : undefined,
		);
		if (!c0 || !c1 || c0.length !== 48 || c1.length !== 48) return undefined;
		out.push({ id: hex(Uint8Array.from(id as number[])), share: [c0, c1] });
	}
	return out;
}

function b64(bytes: Uint8Array): string {
	return Buffer.from(bytes).toString('base64');
}
