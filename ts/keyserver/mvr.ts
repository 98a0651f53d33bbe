/**
 * MVR (Move Registry) names in session certificates, resolved as Mysten's key server does
 * (MystenLabs/seal crates/key-server/src/mvr.rs and externals.rs `check_mvr_package_id` at
 * ddc7e5d6): a certificate that carries `mvr_name` is accepted only when the name resolves to
 * the PTB's first-version package id; the user then signed the name, not the id.
 *
 * - The registry lives on MAINNET: a `Table<Name, AppRecord>` whose entries are dynamic fields
 *   of `MVR_REGISTRY_ID`, keyed by the BCS of `mvr::name::Name`.
 * - Mainnet: the record's `app_info.package_address`.
 * - Testnet: the record's `networks["4c78adac"].package_info_id` names a `PackageInfo` object on
 *   TESTNET whose `metadata["default"]` must equal the name; its `package_address` is the answer.
 * - Any other network: `Failure`.
 * - Answers are cached by name (LRU, 1000 names, one hour: crates/key-server/src/cache.rs).
 * Object layouts: MystenLabs/mvr packages/mvr/sources/{name,app_record,app_info}.move and
 * packages/package_info/sources/package_info.move at b4771074 (the mvr_types revision seal pins);
 * name grammar: crates/mvr-types/src/{name,name_service}.rs at the same revision.
 */
import { bcs, type BcsType } from '@mysten/sui/bcs';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { deriveDynamicFieldID, normalizeSuiAddress } from '@mysten/sui/utils';
import { InvalidInputError } from '../errors.js';
import { KeyServerRequestError } from './errors.js';
import { isMissingObjectError } from './address-aliases.js';
import { MESSAGES } from './protocol.js';

/** The registry table on mainnet (`MVR_REGISTRY` in seal's mvr.rs). */
export const MVR_REGISTRY_ID = '0xe8417c530cde59eddf6dfb760e8a0e3e2c6f17c69ddaab5a73dd6a6e65fc463b';
/** The package defining `name::Name` (`MVR_CORE`). */
export const MVR_CORE_PACKAGE_ID =
	'0x62c1f5b1cb9e3bfc3dd1f73c95066487b662048a6358eabdbf67f6cdeca6db4b';
/** Key of testnet entries in a record's `networks` map (`TESTNET_ID`). */
export const MVR_TESTNET_NETWORK_ID = '4c78adac';
/** Node the registry is read from when the server runs on testnet (seal: mainnet default URL). */
export const MVR_REGISTRY_NODE_URL = 'https://fullnode.mainnet.sui.io:443';

const NAME_TYPE = `${MVR_CORE_PACKAGE_ID}::name::Name`;
const CACHE_SIZE = 1000;
const CACHE_TTL_MS = 60 * 60 * 1000;

const Domain = bcs.struct('Domain', { labels: bcs.vector(bcs.string()) });
const Name = bcs.struct('Name', { org: Domain, app: bcs.vector(bcs.string()) });
const vecMap = <V extends BcsType<any>>(value: V) =>
	bcs.struct('VecMap', {
		contents: bcs.vector(bcs.struct('Entry', { key: bcs.string(), value })),
	});
const AppInfo = bcs.struct('AppInfo', {
	packageInfoId: bcs.option(bcs.Address),
	packageAddress: bcs.option(bcs.Address),
	upgradeCapId: bcs.option(bcs.Address),
});
const AppRecord = bcs.struct('AppRecord', {
	appCapId: bcs.Address,
	nsNftId: bcs.Address,
	appInfo: bcs.option(AppInfo),
	networks: vecMap(AppInfo),
	metadata: vecMap(bcs.string()),
	storage: bcs.Address,
});
/** `dynamic_field::Field<Name, AppRecord>`: the registry entry object. */
export const MvrRecordField = bcs.struct('Field', {
	id: bcs.Address,
	name: Name,
	value: AppRecord,
});
export const MvrPackageInfo = bcs.struct('PackageInfo', {
	id: bcs.Address,
	display: bcs.struct('PackageDisplay', {
		gradientFrom: bcs.string(),
		gradientTo: bcs.string(),
		textColor: bcs.string(),
		name: bcs.string(),
		uriEncodedName: bcs.string(),
	}),
	upgradeCapId: bcs.Address,
	packageAddress: bcs.Address,
	metadata: vecMap(bcs.string()),
	gitVersioning: bcs.struct('Table', { id: bcs.Address, size: bcs.u64() }),
});

export interface MvrName {
	/** SuiNS domain labels, top-level first (`@org` → `['sui', 'org']`). */
	orgLabels: string[];
	app: string;
	/** `/N` suffix, kept as written (a versioned name never resolves in a certificate). */
	version: string | undefined;
}

/**
 * mvr_types `VersionedName::from_str`: `[sub@]org/app[/version]` or `org.tld/app[/version]`;
 * every label 1..63 of `a-z 0-9 -`, no leading or trailing hyphen; the org at most 200 chars
 * and at least two labels. `undefined` when the name is not valid.
 */
export function parseMvrName(text: string): MvrName | undefined {
	const match = /^([a-z0-9.\-@]*)\/([a-z0-9.-]*)(?:\/(\d+))?$/.exec(text);
	if (!match) return undefined;
	// Groups 1 and 2 always take part in a match (possibly empty); group 3 is optional.
	const orgLabels = domainLabels(match[1]!);
	const app = match[2]!;
	if (!orgLabels || !isLabel(app)) return undefined;
	return { orgLabels, app, version: match[3] };
}

/**
 * mvr_types `Domain::from_str`: `sub@org` means `sub.org.sui` and the part after `@` is a single
 * label; labels reversed (TLD first). A second `@` or an empty label fails the label check.
 */
function domainLabels(org: string): string[] | undefined {
	if (org.length > 200) return undefined;
	const at = org.indexOf('@');
	let dotted = org;
	if (at >= 0) {
		const before = org.slice(0, at);
		const after = org.slice(at + 1);
		if (after.includes('.')) return undefined;
		dotted = [...(before ? [before] : []), after, 'sui'].join('.');
	}
	const labels = dotted.split('.').reverse();
	return labels.length >= 2 && labels.every(isLabel) ? labels : undefined;
}

function isLabel(label: string): boolean {
	return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label);
}

/** Id of the registry entry (dynamic field of the registry table) for an unversioned name. */
export function mvrRecordId(name: MvrName): string {
	const key = Name.serialize({ org: { labels: name.orgLabels }, app: [name.app] }).toBytes();
	return deriveDynamicFieldID(MVR_REGISTRY_ID, NAME_TYPE, key);
}

export interface MvrResolverOptions {
	/** Network this key server serves: `mainnet`, `testnet` (any case) or anything else. */
	network: string;
	/** The server's own full node (mainnet: also the registry's). */
	client: ClientWithCoreApi;
	/** A MAINNET node for the registry; required on testnet (see `MVR_REGISTRY_NODE_URL`). */
	registryClient?: ClientWithCoreApi;
	/** Called after each full-node call (Mysten's `sui_rpc_request_duration_millis`). */
	onRpc?: (method: string, ok: boolean, ms: number) => void;
	/** Clock for the cache (ms). */
	now?: () => number;
}

export interface MvrLookup {
	/** The package id `name` points to; throws `KeyServerRequestError` (Mysten's names). */
	packageId(name: string): Promise<string>;
}

/** Refuses every name with `Failure`, as upstream does on Devnet/localnet. */
export const MVR_UNSUPPORTED: MvrLookup = {
	packageId: async () => {
		throw failure('MVR names are resolved only on mainnet and testnet');
	},
};

export class MvrResolver implements MvrLookup {
	readonly #network: 'mainnet' | 'testnet' | undefined;
	readonly #client: ClientWithCoreApi;
	readonly #registry: ClientWithCoreApi;
	readonly #onRpc: MvrResolverOptions['onRpc'];
	readonly #now: () => number;
	/** name → package id and when it was stored; Map order = least recently used first. */
	readonly #cache = new Map<string, { packageId: string; at: number }>();

	constructor(options: MvrResolverOptions) {
		const network = options.network.toLowerCase();
		this.#network = network === 'mainnet' || network === 'testnet' ? network : undefined;
		if (this.#network === 'testnet' && !options.registryClient) {
			throw new InvalidInputError(
				'registryClient',
				`testnet MVR names are looked up on mainnet: pass a mainnet client (${MVR_REGISTRY_NODE_URL})`,
			);
		}
		this.#client = options.client;
		this.#registry = options.registryClient ?? options.client;
		this.#onRpc = options.onRpc;
		this.#now = options.now ?? Date.now;
	}

	async packageId(name: string): Promise<string> {
		const cached = this.#cache.get(name);
		if (cached && this.#now() - cached.at < CACHE_TTL_MS) {
			this.#cache.delete(name);
			this.#cache.set(name, cached);
			return cached.packageId;
		}
		this.#cache.delete(name);
		const packageId = await this.#resolve(name);
		this.#cache.set(name, { packageId, at: this.#now() });
		if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
		return packageId;
	}

	async #resolve(name: string): Promise<string> {
		if (this.#network === undefined) return MVR_UNSUPPORTED.packageId(name);
		const parsed = parseMvrName(name);
		if (!parsed || parsed.version !== undefined) throw invalidName();
		const record = await this.#record(parsed);
		if (this.#network === 'mainnet') {
			const info = record.value.appInfo;
			if (!info) throw invalidName();
			if (!info.packageAddress) throw failure(`No package_address on app_info for ${name}`);
			return normalizeSuiAddress(info.packageAddress);
		}
		const testnet = entries(record.value.networks).get(MVR_TESTNET_NETWORK_ID);
		if (!testnet) throw invalidName();
		const infoId = testnet.packageInfoId;
		if (!infoId) throw failure(`No package info ID for MVR name ${name} on testnet`);
		// On testnet every node error is a Failure, NotFound included (upstream's mapping).
		const info = await this.#read(this.#client, infoId, MvrPackageInfo, (error) =>
			failure(`Failed to get object ${infoId}`, error),
		);
		const recorded = entries(info.metadata).get('default');
		if (recorded === undefined) throw failure("No 'default' field on package_info object");
		if (recorded !== name) throw invalidName();
		return normalizeSuiAddress(info.packageAddress);
	}

	#record(name: MvrName) {
		return this.#read(this.#registry, mvrRecordId(name), MvrRecordField, (error) =>
			isMissingObjectError(error)
				? invalidName()
				: failure('Failed to get dynamic field object from MVR registry', error),
		);
	}

	/**
	 * Reads a Move object's contents as `type`. A node error becomes `onNodeError(error)`; contents
	 * that are missing or not exactly `type` (a node breaking protocol) are `InvalidPackage`.
	 */
	async #read<T>(
		client: ClientWithCoreApi,
		objectId: string,
		type: BcsType<T, any>,
		onNodeError: (error: unknown) => KeyServerRequestError,
	): Promise<T> {
		const start = performance.now();
		let content: Uint8Array | undefined;
		try {
			({
				object: { content },
			} = await client.core.getObject({ objectId, include: { content: true } }));
		} catch (error) {
			this.#onRpc?.('get_object', false, performance.now() - start);
			throw onNodeError(error);
		}
		this.#onRpc?.('get_object', true, performance.now() - start);
		const value = content && decodeExactly(type, content);
		if (value === undefined) {
			throw new KeyServerRequestError('InvalidPackage', MESSAGES.InvalidPackage);
		}
		return value;
	}
}

/** Like Rust's `bcs::from_bytes`: the whole input, canonical, nothing left over. */
function decodeExactly<T>(type: BcsType<T, any>, bytes: Uint8Array): T | undefined {
	try {
		const value = type.parse(bytes);
		const again = type.serialize(value as never).toBytes();
		return Buffer.from(again).equals(Buffer.from(bytes)) ? value : undefined;
	} catch {
		return undefined;
	}
}

/** A `VecMap` as a map (a repeated key keeps its last value, as Rust's collect does). */
function entries<V>(map: { contents: { key: string; value: V }[] }): Map<string, V> {
	return new Map(map.contents.map((entry) => [entry.key, entry.value]));
}

function invalidName(): KeyServerRequestError {
	return new KeyServerRequestError('InvalidMVRName', MESSAGES.InvalidMVRName);
}

/** `Failure` with the detail (and the node's error) kept for the log, off the wire. */
function failure(detail: string, nodeError?: unknown): KeyServerRequestError {
	const suffix = nodeError instanceof Error ? `: ${nodeError.message}` : '';
	return new KeyServerRequestError('Failure', MESSAGES.Failure, {
		cause: new Error(`${detail}${suffix}`, { cause: nodeError }),
	});
}

/**
 * Upstream's `check_mvr_package_id`: with a name in the certificate, it must resolve to the
 * PTB's first-version package id, else `InvalidMVRName`.
 */
export async function checkMvrName(
	lookup: MvrLookup,
	name: string,
	originalPackageId: string,
): Promise<void> {
	const resolved = await lookup.packageId(name);
	if (normalizeSuiAddress(resolved) !== normalizeSuiAddress(originalPackageId)) throw invalidName();
}
