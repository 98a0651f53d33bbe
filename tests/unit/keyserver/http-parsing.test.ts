/**
 * Request parsing as Mysten's serde/axum/fastcrypto stack does it, one test per area. Upstream
 * lines cited are in MystenLabs/seal at ddc7e5d6 (crate versions from its Cargo.toml:
 * axum 0.8, serde_json 1.0.150, semver 1.0.28, fastcrypto 5f87e04).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedEvaluator } from '../../../ts/keyserver/evaluator.js';
import { generateMasterKey } from '../../../ts/keyserver/keys.js';
import { StaticPackageResolver } from '../../../ts/keyserver/packages.js';
import { startKeyServer, type RunningKeyServer } from '../../../ts/keyserver/server.js';
import { handRequest } from '../../support/fetch-key-request.js';
import { randomObjectId } from '../../support/offline-sui-registry.js';
import { rawRequest, type RawAnswer } from '../../support/raw-http.js';

let server: RunningKeyServer;
const packageId = randomObjectId();
const objectId = randomObjectId();
const user = Ed25519Keypair.generate();
let body: Record<string, unknown>;
let cert: Record<string, unknown>;
let raw: string;

beforeAll(async () => {
	const policy = new FixedEvaluator();
	const inner = randomBytes(8);
	policy.allow(inner.toString('hex'));
	server = await startKeyServer({
		masterKey: generateMasterKey(),
		objectId,
		evaluator: policy,
		packages: new StaticPackageResolver([[packageId, packageId]]),
		workers: 0,
	});
	const tx = new Transaction();
	tx.moveCall({
		target: `${packageId}::policy::seal_approve`,
		arguments: [tx.pure.vector('u8', Array.from(inner))],
	});
	const txBytes = await tx.build({ onlyTransactionKind: true });
	body = (await handRequest({ user, packageId, txBytes })).body;
	cert = body['certificate'] as Record<string, unknown>;
	raw = JSON.stringify(body);
});
afterAll(() => server?.close());

/** Raw HTTP with the SDK's headers unless overridden. */
function send(options: {
	method?: string;
	path?: string;
	headers?: OutgoingHttpHeaders;
	body?: string | Buffer;
}): Promise<RawAnswer> {
	return rawRequest(server.url, {
		...options,
		headers: {
			'Content-Type': 'application/json',
			'Client-Sdk-Type': 'typescript',
			'Client-Sdk-Version': '1.4.12',
			...options.headers,
		},
	});
}

/** The valid body with the `creation_time` value written as `lexeme`. */
const withCreationTime = (lexeme: string) =>
	raw.replace(`"creation_time":${String(cert['creation_time'])}`, `"creation_time":${lexeme}`);

describe('fetch_key body parsing (axum Json → serde_json → serde derive)', () => {
	it('baseline: the unmodified body is answered', async () => {
		expect((await send({ body: raw })).status).toBe(200);
	});

	// server.rs:112 `creation_time: u64`, :113 `ttl_min: u16`; serde_json de.rs parse_integer
	// turns fractions, exponents, `-0` and integers past u64::MAX into f64 (invalid type, 422).
	it('JSON number forms: only plain integers within the type; above 2^53 still exact', async () => {
		for (const lexeme of ['1.0', '1e3', '-0', '-5', '18446744073709551616']) {
			const answer = await send({ body: withCreationTime(lexeme) });
			expect(answer.status, lexeme).toBe(422);
		}
		expect((await send({ body: withCreationTime('01') })).status).toBe(400);
		expect((await send({ body: withCreationTime('1.') })).status).toBe(400);
		// 2^53 + 1 and u64::MAX parse (in the future: InvalidCertificate, 403).
		for (const lexeme of ['9007199254740993', '18446744073709551615']) {
			const answer = await send({ body: withCreationTime(lexeme) });
			expect(answer.status, lexeme).toBe(403);
			expect(JSON.parse(answer.text).error).toBe('InvalidCertificate');
		}
		const ttl = raw.replace(`"ttl_min":${String(cert['ttl_min'])}`, '"ttl_min":65536');
		expect((await send({ body: ttl })).status).toBe(422);
	});

	// serde derive `visit_map`: a known field twice is `duplicate field` (data error, 422),
	// where JSON.parse would silently keep the last one.
	it('duplicate keys are refused; unknown keys are ignored', async () => {
		const duplicated = `{"ptb":"AAAA",${raw.slice(1)}`;
		expect((await send({ body: duplicated })).status).toBe(422);
		const extra = `{"extra":{"x":[1,2,{"y":null}]},"extra":1,${raw.slice(1)}`;
		expect((await send({ body: extra })).status).toBe(200);
	});

	// serde derive `visit_seq`: a struct may be a JSON array of its fields in declaration order
	// (server.rs:110-118 Certificate, :121-133 FetchKeyRequest); fewer is 422, more is 400.
	it('a struct sent as a JSON array', async () => {
		const certArray = [
			cert['user'],
			cert['session_vk'],
			cert['creation_time'],
			cert['ttl_min'],
			cert['signature'],
			null,
		];
		const fields = [
			body['ptb'],
			body['enc_key'],
			body['enc_verification_key'],
			body['request_signature'],
		];
		expect((await send({ body: JSON.stringify([...fields, certArray]) })).status).toBe(200);
		expect((await send({ body: JSON.stringify([...fields, certArray.slice(0, 5)]) })).status).toBe(
			422,
		);
		expect((await send({ body: JSON.stringify([...fields, certArray, 1]) })).status).toBe(400);
	});

	// axum-0.8 src/json.rs `json_content_type`: type `application` and subtype `json` or a
	// `+json` suffix.
	it('+json content types are accepted, look-alikes are 415', async () => {
		for (const type of ['application/vnd.api+json', 'application/json; charset=utf-8']) {
			expect((await send({ body: raw, headers: { 'Content-Type': type } })).status, type).toBe(200);
		}
		for (const type of ['application/json-seq', 'text/json', 'application/jsonx']) {
			expect((await send({ body: raw, headers: { 'Content-Type': type } })).status, type).toBe(415);
		}
	});

	// fastcrypto group elements (server.rs:128-129), Ed25519PublicKey (:111: ed25519-consensus
	// VerificationKey::try_from decompresses), Ed25519Signature (:130, 64 bytes), and sui-types
	// GenericSignature::from_bytes (:115: flag byte + exact length) all fail in Deserialize: 422.
	it('signature and public-key bytes that fail to parse are 422, not 403', async () => {
		const notOnCurve = Buffer.alloc(32);
		notOnCurve[0] = 2; // y = 2 has no x on edwards25519
		const variants: Record<string, unknown>[] = [
			{ ...body, certificate: { ...cert, session_vk: notOnCurve.toString('base64') } },
			{ ...body, certificate: { ...cert, signature: Buffer.alloc(97, 4).toString('base64') } },
			{ ...body, certificate: { ...cert, signature: Buffer.alloc(96, 0).toString('base64') } },
			{ ...body, request_signature: Buffer.alloc(63).toString('base64') },
		];
		for (const variant of variants) {
			expect((await send({ body: JSON.stringify(variant) })).status).toBe(422);
		}
		// A well-formed signature by someone else deserializes and fails verification: 403.
		const other = {
			...body,
			certificate: { ...cert, user: Ed25519Keypair.generate().toSuiAddress() },
		};
		expect((await send({ body: JSON.stringify(other) })).status).toBe(403);
	});

	// server.rs:111 `user: SuiAddress` = fastcrypto `Hex` into [u8; 32]: `0x` optional, either
	// case, exactly 64 digits (no short forms).
	it('user-address hex forms', async () => {
		const address = String(cert['user']);
		const forms: [string, number][] = [
			[address.slice(2), 200],
			[`0x${address.slice(2).toUpperCase()}`, 200],
			['0x1', 422],
			[`0X${address.slice(2)}`, 422],
			[`${address}00`, 422],
		];
		for (const [user, status] of forms) {
			const variant = { ...body, certificate: { ...cert, user } };
			expect((await send({ body: JSON.stringify(variant) })).status, user).toBe(status);
		}
	});

	// serde_json read.rs: strings deserialized into `String` must be UTF-8 and have no lone
	// surrogate escapes (syntax errors, 400); skipped values (`ignore_str`) are not decoded.
	it('invalid UTF-8 and lone surrogates inside strings', async () => {
		const bytes = Buffer.from(raw);
		const at = bytes.indexOf('"ptb":"') + 7;
		const badUtf8 = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at)]);
		expect((await send({ body: badUtf8 })).status).toBe(400);
		const surrogate = raw.replace('"ptb":"', '"ptb":"\\ud800');
		expect((await send({ body: surrogate })).status).toBe(400);
		const ignored = Buffer.concat([
			Buffer.from('{"x":"'),
			Buffer.from([0xff]),
			Buffer.from('\\udc00",'),
			Buffer.from(raw.slice(1)),
		]);
		expect((await send({ body: ignored })).status).toBe(200);
		// serde_json's recursion limit (128) applies to skipped values too.
		const deep = `{"x":${'['.repeat(200)}${']'.repeat(200)},${raw.slice(1)}`;
		expect((await send({ body: deep })).status).toBe(400);
	});
});

describe('headers, methods and query (axum routing, server.rs handle_request_headers)', () => {
	// axum `get(...)` also serves HEAD (same status and headers, no body); POST-only routes 405.
	it('HEAD on GET routes', async () => {
		const health = await send({ method: 'HEAD', path: '/health' });
		expect(health.status).toBe(200);
		expect(health.text).toBe('');
		const service = await send({ method: 'HEAD', path: `/v1/service?service_id=${objectId}` });
		expect(service.status).toBe(200);
		expect(service.text).toBe('');
		expect(service.headers['x-keyserver-version']).toBeDefined();
		expect((await send({ method: 'HEAD' })).status).toBe(405);
	});

	// server.rs:1156-1157 `request.headers().get(...)` returns the FIRST value of a repeated
	// header; :1051 `Query<HashMap<String, String>>` keeps the LAST value of a repeated parameter.
	it('repeated headers and query parameters', async () => {
		const first = await send({ body: raw, headers: { 'Client-Sdk-Version': ['1.4.12', 'junk'] } });
		expect(first.status).toBe(200);
		const junkFirst = await send({
			body: raw,
			headers: { 'Client-Sdk-Version': ['junk', '1.4.12'] },
		});
		expect(junkFirst.status).toBe(400);
		const types = await send({
			body: raw,
			headers: { 'Client-Sdk-Type': ['typescript', 'other'], 'Client-Sdk-Version': '0.1.0' },
		});
		expect(types.status).toBe(426);
		const wrong = randomObjectId();
		const last = await send({
			method: 'GET',
			path: `/v1/service?service_id=${wrong}&service_id=${objectId}`,
		});
		expect(last.status).toBe(200);
		const notLast = await send({
			method: 'GET',
			path: `/v1/service?service_id=${objectId}&service_id=${wrong}`,
		});
		expect(notLast.status).toBe(400);
	});

	// server.rs:1135 `Version::parse` then `VersionReq::matches` (semver 1.0.28: a pre-release
	// only matches a comparator with the same major.minor.patch and a pre-release).
	it('semver pre-release and malformed versions against the minimum SDK versions', async () => {
		const cases: [string, string, number][] = [
			['typescript', '1.5.0-beta.1', 426],
			['typescript', '1.5.0+build.7', 200],
			['other', '1.5.0-beta.1', 200],
			['typescript', '1.04.0', 400],
			['typescript', '1.0.0-01', 400],
			['typescript', '1.0.0-a..b', 400],
			['typescript', '18446744073709551616.0.0', 400],
		];
		for (const [type, version, status] of cases) {
			const answer = await send({
				body: raw,
				headers: { 'Client-Sdk-Type': type, 'Client-Sdk-Version': version },
			});
			expect(answer.status, `${type} ${version}`).toBe(status);
		}
	});
});
