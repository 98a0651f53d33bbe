/**
 * Runs IN THE PAGE (bundled by the browser tier, not part of the library): a Sui core client
 * whose `getObjects` asks the Node test process (Playwright `exposeFunction`) for the offline
 * registry's objects, so the real `SealClient` in the page resolves the in-process key servers.
 * Objects cross as JSON with base64 content.
 */
import { BaseClient, CoreClient, ObjectError, type SuiClientTypes } from '@mysten/sui/client';
import type { TransactionPlugin } from '@mysten/sui/transactions';
import { fromBase64 } from '@mysten/sui/utils';

/** What the Node side returns per id (see `registryObjectsForPage` in web.test.ts). */
export type WireObject =
	| { objectId: string; version: string; type: string; owner: unknown; content: string }
	| { notFound: string };

type Fetch = (ids: string[]) => Promise<WireObject[]>;

class PageBase extends BaseClient {
	core!: CoreClient;
}

class RemoteRegistry extends CoreClient {
	readonly #fetch: Fetch;
	constructor(fetchObjects: Fetch) {
		super({ network: 'localnet', base: new PageBase({ network: 'localnet' }) });
		(this.base as PageBase).core = this;
		this.#fetch = fetchObjects;
	}

	override async getObjects<Include extends SuiClientTypes.ObjectInclude = {}>(
		options: SuiClientTypes.GetObjectsOptions<Include>,
	): Promise<SuiClientTypes.GetObjectsResponse<Include>> {
		const wire = await this.#fetch([...options.objectIds]);
		const objects = wire.map((entry) => {
			if ('notFound' in entry) {
				return new ObjectError('notFound', `Object ${entry.notFound} not found`, {
					reason: 'notFound',
					objectId: entry.notFound,
				});
			}
			return {
				objectId: entry.objectId,
				version: entry.version,
				digest: '11111111111111111111111111111111',
				owner: entry.owner,
				type: entry.type,
				content: options.include?.content ? fromBase64(entry.content) : undefined,
				previousTransaction: options.include?.previousTransaction ? null : undefined,
				objectBcs: undefined,
				json: options.include?.json ? null : undefined,
				display: options.include?.display ? null : undefined,
			} as unknown as SuiClientTypes.Object<Include>;
		});
		return { objects };
	}

	// Everything else a real chain answers is out of scope for the page's offline registry.
	override async listCoins(): Promise<never> {
		throw unsupported('listCoins');
	}
	override async listOwnedObjects(): Promise<never> {
		throw unsupported('listOwnedObjects');
	}
	override async getBalance(): Promise<never> {
		throw unsupported('getBalance');
	}
	override async listBalances(): Promise<never> {
		throw unsupported('listBalances');
	}
	override async getCoinMetadata(): Promise<never> {
		throw unsupported('getCoinMetadata');
	}
	override async getTransaction(): Promise<never> {
		throw unsupported('getTransaction');
	}
	override async executeTransaction(): Promise<never> {
		throw unsupported('executeTransaction');
	}
	override async simulateTransaction(): Promise<never> {
		throw unsupported('simulateTransaction');
	}
	override async getReferenceGasPrice(): Promise<never> {
		throw unsupported('getReferenceGasPrice');
	}
	override async getCurrentSystemState(): Promise<never> {
		throw unsupported('getCurrentSystemState');
	}
	override async getProtocolConfig(): Promise<never> {
		throw unsupported('getProtocolConfig');
	}
	override async getChainIdentifier(): Promise<never> {
		throw unsupported('getChainIdentifier');
	}
	override async listDynamicFields(): Promise<never> {
		throw unsupported('listDynamicFields');
	}
	override async listTransactions(): Promise<never> {
		throw unsupported('listTransactions');
	}
	override async listEvents(): Promise<never> {
		throw unsupported('listEvents');
	}
	override async verifyZkLoginSignature(): Promise<never> {
		throw unsupported('verifyZkLoginSignature');
	}
	override async getMoveFunction(): Promise<never> {
		throw unsupported('getMoveFunction');
	}
	override async defaultNameServiceName(): Promise<never> {
		throw unsupported('defaultNameServiceName');
	}
	override async resolveNameServiceAddress(): Promise<never> {
		throw unsupported('resolveNameServiceAddress');
	}
	override resolveTransactionPlugin(): TransactionPlugin {
		return async () => {
			throw unsupported('transaction resolution');
		};
	}
}

function unsupported(method: string): Error {
	return new Error(`${method} is not available in the page's offline registry`);
}

const page = globalThis as unknown as {
	__registryObjects: Fetch;
	remoteRegistry: () => CoreClient;
};
page.remoteRegistry = () => new RemoteRegistry((ids) => page.__registryObjects(ids));
