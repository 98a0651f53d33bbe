/**
 * YAML config for Mysten's `key-server` binary on localnet (SEAL_NOTES §7): Open mode for one
 * registered object, `!Devnet` with our locally published Seal package (it must contain
 * `seal::time`), the local node, a distinct metrics port per server (default 9184 would clash),
 * and event monitoring off (it needs a legacy JSON-RPC client that Open mode never uses).
 */
import { normalizeObjectId } from '../identity.js';

export interface MystenKeyServerConfigOptions {
	sealPackageId: string;
	nodeUrl: string;
	keyServerObjectId: string;
	metricsPort: number;
}

export function mystenKeyServerYaml(options: MystenKeyServerConfigOptions): string {
	const sealPackage = normalizeObjectId(options.sealPackageId, 'sealPackageId');
	const objectId = normalizeObjectId(options.keyServerObjectId, 'keyServerObjectId');
	const nodeUrl = new URL(options.nodeUrl).toString().replace(/\/+$/, '');
	if (
		!Number.isInteger(options.metricsPort) ||
		options.metricsPort < 1 ||
		options.metricsPort > 65_535
	) {
		throw new RangeError(`metricsPort ${options.metricsPort} is not a TCP port`);
	}
	return [
		'# Written by `seal-policies localnet up`. The master key is passed as MASTER_KEY, never here.',
		'network: !Devnet',
		`  seal_package: '${sealPackage}'`,
		`node_url: ${nodeUrl}`,
		'server_mode: !Open',
		`  key_server_object_id: '${objectId}'`,
		`metrics_host_port: ${options.metricsPort}`,
		'enable_event_monitoring: false',
		'',
	].join('\n');
}
