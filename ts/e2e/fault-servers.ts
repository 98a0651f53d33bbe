/**
 * Key servers owned by one e2e run, for the "servers down" checks: registered on the running
 * localnet, served in-process by our key server (NodeEvaluator on the same node), and stopped
 * for real. The shared stack's servers are never touched, so a user's `localnet up` survives.
 */
import { HarnessError } from '../errors.js';
import { NodeEvaluator } from '../keyserver/node-evaluator.js';
import { generateMasterKey, publicKeyFromMasterKey } from '../keyserver/keys.js';
import { NodePackageResolver } from '../keyserver/packages.js';
import { startKeyServer, type RunningKeyServer } from '../keyserver/server.js';
import type { KeyServerEntry } from '../chain/networks.js';
import { buildRegisterKeyServerTx } from '../localnet/register.js';
import { executeTransaction, findCreatedObject } from '../chain/transactions.js';
import type { E2eEnvironment } from './environment.js';
import { portInUse } from '../localnet/ports.js';

export interface FaultServers {
	entries: KeyServerEntry[];
	/** Stops server `index` (0-based); its port stays closed. */
	stop(index: number): Promise<void>;
	close(): Promise<void>;
}

/** Starts `count` servers on free 127.0.0.1 ports from `basePort` and registers them. */
export async function startFaultServers(
	env: E2eEnvironment,
	count: number,
	basePort = 2124,
): Promise<FaultServers> {
	if (env.sealPackageId === undefined) {
		throw new HarnessError('fault servers need a network whose Seal package we know (localnet)');
	}
	const running: (RunningKeyServer | undefined)[] = [];
	const entries: KeyServerEntry[] = [];
	const evaluator = new NodeEvaluator({ client: env.client, sealPackageId: env.sealPackageId });
	const packages = new NodePackageResolver(env.client);
	let port = basePort;
	try {
		for (let i = 0; i < count; i++) {
			while (await portInUse(port)) port++;
			const url = `http://127.0.0.1:${port}`;
			const masterKey = generateMasterKey();
			try {
				const executed = await executeTransaction({
					client: env.client,
					signer: env.admin,
					transaction: buildRegisterKeyServerTx({
						sealPackageId: env.sealPackageId,
						name: `e2e-fault-server-${i + 1}`,
						url,
						publicKey: publicKeyFromMasterKey(masterKey),
					}),
					label: `register e2e-fault-server-${i + 1}`,
				});
				const objectId = findCreatedObject(executed, {
					address: env.sealPackageId,
					module: 'key_server',
					name: 'KeyServer',
				});
				running.push(
					await startKeyServer({
						masterKey,
						objectId,
						evaluator,
						packages,
						port,
						suiClient: env.client,
					}),
				);
				entries.push({ objectId, weight: 1 });
			} finally {
				masterKey.fill(0);
			}
			port++;
		}
	} catch (error) {
		await Promise.all(running.map((server) => server?.close()));
		throw error;
	}
	return {
		entries,
		async stop(index) {
			const server = running[index];
			running[index] = undefined;
			await server?.close();
		},
		async close() {
			await Promise.all(running.map((server) => server?.close()));
			running.fill(undefined);
		},
	};
}
