/**
 * Maps the package a PTB calls to its first-version ("original") id, which identities and the
 * session message use. Unknown package → `undefined` (the server answers `InvalidPackage`).
 */
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { normalizeSuiAddress } from '@mysten/sui/utils';

export interface PackageResolver {
	originalPackageId(packageId: string): Promise<string | undefined>;
}

/** Offline resolver from a fixed map `{ packageId (any version) → original id }`. */
export class StaticPackageResolver implements PackageResolver {
	readonly #map = new Map<string, string>();

	constructor(entries: Iterable<readonly [string, string]> = []) {
		for (const [id, original] of entries) this.set(id, original);
	}

	/** Registers `packageId` (version ≥ 1) as belonging to the package first published as `originalId`. */
	set(packageId: string, originalId: string = packageId): this {
		this.#map.set(normalizeSuiAddress(packageId), normalizeSuiAddress(originalId));
		return this;
	}

	async originalPackageId(packageId: string): Promise<string | undefined> {
		return this.#map.get(normalizeSuiAddress(packageId));
	}
}

/** A gRPC client's Move-package service, the only part `NodePackageResolver` needs. */
export interface MovePackageLookup {
	movePackageService: {
		getPackage(request: { packageId: string }): PromiseLike<{
			response: { package?: { originalId?: string } };
		}>;
	};
}

/**
 * Reads the package from a full node (cached: a package's original id never changes).
 * With a gRPC client the package's `original_id` is read directly; with any other core client a
 * version-1 package is its own original id, and upgraded packages need gRPC.
 */
export class NodePackageResolver implements PackageResolver {
	readonly #client: ClientWithCoreApi;
	readonly #grpc: MovePackageLookup | undefined;
	readonly #cache = new Map<string, string>();

	constructor(client: ClientWithCoreApi, grpc?: MovePackageLookup) {
		this.#client = client;
		this.#grpc = grpc ?? (isMovePackageLookup(client) ? client : undefined);
	}

	async originalPackageId(packageId: string): Promise<string | undefined> {
		const id = normalizeSuiAddress(packageId);
		const cached = this.#cache.get(id);
		if (cached) return cached;
		const original = await this.#lookup(id);
		if (original) this.#cache.set(id, original);
		return original;
	}

	/** Not found → undefined (`InvalidPackage`); transport failures propagate (`Failure`). */
	async #lookup(id: string): Promise<string | undefined> {
		if (this.#grpc) {
			try {
				const { response } = await this.#grpc.movePackageService.getPackage({ packageId: id });
				const original = response.package?.originalId;
				return original ? normalizeSuiAddress(original) : undefined;
			} catch (error) {
				if (isNotFound(error)) return undefined;
				throw error;
			}
		}
		try {
			const { object } = await this.#client.core.getObject({ objectId: id });
			if (object.type !== 'package') return undefined;
			return String(object.version) === '1' ? id : undefined;
		} catch (error) {
			if (isNotFound(error)) return undefined;
			throw error;
		}
	}
}

function isNotFound(error: unknown): boolean {
	const e = error as { code?: unknown; reason?: unknown } | null;
	return e?.code === 'NOT_FOUND' || e?.code === 'INVALID_ARGUMENT' || e?.reason === 'notFound';
}

function isMovePackageLookup(value: unknown): value is MovePackageLookup {
	const service = (value as { movePackageService?: { getPackage?: unknown } }).movePackageService;
	return typeof service?.getPackage === 'function';
}
