/**
 * Child process for the killed-import test (run with `node --import tsx FILE CONFIG.json`): joins
 * the parent's offline key servers (same registry entries, same user) and imports a records file
 * into the vault, printing `imported DONE` after every committed batch, until killed.
 */
import { readFileSync } from 'node:fs';
import { SealClient, SessionKey } from '@mysten/seal';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import { importRecordsFile } from '../../ts/vault/records-file.js';
import { Vault } from '../../ts/vault/vault.js';
import { OfflineSuiRegistry } from './offline-sui-registry.js';
import { offlineApproveBuilder } from './seal-testbed.js';

export interface ImportChildConfig {
	sealPackageId: string;
	packageId: string;
	servers: { objectId: string; url: string; publicKeyHex: string }[];
	/** Bech32 secret key of the reading user (test key, never a real one). */
	userSecret: string;
	dbPath: string;
	inputPath: string;
	batchSize: number;
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ImportChildConfig;
const registry = new OfflineSuiRegistry({ sealPackageId: config.sealPackageId });
registry.registerPackage(config.packageId, 1);
for (const [i, server] of config.servers.entries()) {
	registry.registerKeyServer({
		objectId: server.objectId,
		name: `test-key-server-${i + 1}`,
		url: server.url,
		publicKey: new Uint8Array(Buffer.from(server.publicKeyHex, 'hex')),
	});
}
const user = Ed25519Keypair.fromSecretKey(config.userSecret);
const vault = await Vault.open({
	storage: await openSqliteStorage({ path: config.dbPath, mode: 'open' }),
	trustFirstUse: true,
	sealClient: new SealClient({
		suiClient: registry,
		serverConfigs: config.servers.map((s) => ({ objectId: s.objectId, weight: 1 })),
		verifyKeyServers: false,
		timeout: 120_000,
	}),
	session: await SessionKey.create({
		address: user.toSuiAddress(),
		packageId: config.packageId,
		ttlMin: 10,
		signer: user,
		suiClient: registry,
	}),
	buildTxBytes: offlineApproveBuilder(config.packageId),
});
await importRecordsFile(vault, config.inputPath, {
	batchSize: config.batchSize,
	onProgress: ({ done }) => process.stdout.write(`imported ${done}\n`),
});
process.stdout.write('finished\n');
await vault.close();
