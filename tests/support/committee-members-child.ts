/**
 * Child process for the aggregator bench: runs the committee members (our key server in
 * `!Committee` mode) outside the bench process, so the bench's `process.cpuUsage()` counts the
 * aggregator and the client only. Reads one JSON line on stdin (the committee as the parent
 * registered it, and the members' shares: bench-only throwaway keys), registers the same
 * committee in its own offline registry, starts the members and prints `{"ports":[…]}`.
 * Exits when stdin closes.
 */
import { normalizeSuiAddress } from '@mysten/sui/utils';
import { loadCommitteeMemberKeys } from '../../ts/keyserver/committee/member-keys.js';
import { ALLOW, type PolicyEvaluator } from '../../ts/keyserver/evaluator.js';
import { StaticPackageResolver } from '../../ts/keyserver/packages.js';
import { startKeyServer, type RunningKeyServer } from '../../ts/keyserver/server.js';
import { g2Of, shareHex } from './committee-testbed.js';
import { OfflineSuiRegistry } from './offline-sui-registry.js';

export interface MembersChildInput {
	objectId: string;
	committeeId: string;
	packageId: string;
	threshold: number;
	publicKeyHex: string;
	addresses: string[];
	/** Decimal scalars. */
	shares: string[];
}

const allowAll: PolicyEvaluator = { evaluate: async () => ALLOW };

async function main() {
	// One line of input; the end of stdin (the parent is done or gone) stops the members.
	const line = await new Promise<string>((resolve) => {
		let input = '';
		process.stdin.setEncoding('utf8');
		process.stdin.on('data', (chunk: string) => {
			input += chunk;
			if (input.includes('\n')) resolve(input);
		});
	});
	const config = JSON.parse(line) as MembersChildInput;
	const shares = config.shares.map((s) => BigInt(s));
	const registry = new OfflineSuiRegistry();
	registry.registerCommittee({
		name: 'bench-committee',
		publicKey: Uint8Array.from(Buffer.from(config.publicKeyHex, 'hex')),
		threshold: config.threshold,
		members: config.addresses,
		partialKeyServers: shares.map((share, i) => ({
			name: `member-${i}`,
			url: 'http://127.0.0.1:1',
			partialPk: g2Of(share),
			partyId: i,
		})),
		objectId: config.objectId,
		committeeId: config.committeeId,
	});
	const packages = new StaticPackageResolver([[config.packageId, config.packageId]]);
	const servers: RunningKeyServer[] = [];
	for (let i = 0; i < shares.length; i++) {
		const committee = await loadCommitteeMemberKeys({
			client: registry,
			config: {
				memberAddress: normalizeSuiAddress(config.addresses[i]!),
				keyServerObjectId: config.objectId,
				state: { kind: 'Active' },
			},
			env: { MASTER_SHARE_V0: shareHex(shares[i]!) },
			backend: 'mcl',
			workers: 0,
		});
		servers.push(
			await startKeyServer({
				committee,
				objectId: config.objectId,
				evaluator: allowAll,
				packages,
				workers: 0,
			}),
		);
	}
	process.stdout.write(`${JSON.stringify({ ports: servers.map((s) => s.port) })}\n`);
	process.stdin.once('end', () => {
		void Promise.all(servers.map((s) => s.close())).then(() => process.exit(0));
	});
}

main().catch((error: unknown) => {
	process.stderr.write(`members child: ${(error as Error).message}\n`);
	process.exit(1);
});
