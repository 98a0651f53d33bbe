/**
 * The example page's script: everything goes through the browser entry (`seal-policies/browser`,
 * here imported from source). Served and driven by the browser test tier (tests/browser/), which
 * also uses `window.sealExample` to call the same functions from the test.
 */
import { SealClient } from '@mysten/seal';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';

import * as sealPolicies from '../../ts/browser.js';

const {
	allowlistInnerId,
	buildApproveTxBytes,
	createAllowlistWithWallet,
	createWalletSessionKey,
	decryptEnvelopeBytes,
	encryptEnvelopeBytes,
	randomNonce,
	readAllowlist,
	walletFromSigner,
} = sealPolicies;

declare global {
	interface Window {
		sealExample: {
			sealPolicies: typeof sealPolicies;
			SealClient: typeof SealClient;
			Ed25519Keypair: typeof Ed25519Keypair;
		};
	}
}
window.sealExample = { sealPolicies, SealClient, Ed25519Keypair };

const $ = (id: string) => document.getElementById(id) as HTMLInputElement;
const show = (value: unknown) => {
	$('out').textContent =
		typeof value === 'string'
			? value
			: JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
};

// A throwaway key for the demo; never persisted. A dApp uses its connected wallet instead.
const keypair = Ed25519Keypair.generate();
$('address').textContent = keypair.toSuiAddress();
let envelope: Uint8Array | undefined;
let innerId: Uint8Array | undefined;

function context() {
	const client = new SuiGrpcClient({ network: 'localnet', baseUrl: $('rpc').value });
	const serverConfigs = $('servers')
		.value.split(',')
		.map((id) => id.trim())
		.filter(Boolean)
		.map((objectId) => ({ objectId, weight: 1 }));
	const sealClient = new SealClient({ suiClient: client, serverConfigs, verifyKeyServers: false });
	return {
		client,
		sealClient,
		wallet: walletFromSigner(keypair, client),
		packageId: $('package').value,
	};
}

async function guarded(action: () => Promise<unknown>) {
	try {
		show(await action());
	} catch (error) {
		show(`${(error as Error).name}: ${(error as Error).message}`);
	}
}

$('create').onclick = () =>
	guarded(async () => {
		const { client, wallet, packageId } = context();
		const created = await createAllowlistWithWallet({
			wallet,
			client,
			packageId,
			name: $('name').value,
		});
		$('allowlist').value = created.allowlistId;
		return created;
	});

$('show').onclick = () =>
	guarded(async () =>
		readAllowlist({ client: context().client, allowlistId: $('allowlist').value }),
	);

$('encrypt').onclick = () =>
	guarded(async () => {
		const { sealClient, packageId } = context();
		innerId = allowlistInnerId($('allowlist').value, randomNonce());
		envelope = await encryptEnvelopeBytes(new TextEncoder().encode($('message').value), {
			sealClient,
			packageId,
			innerId,
			threshold: Number($('threshold').value),
		});
		return `encrypted: ${envelope.length} bytes`;
	});

$('decrypt').onclick = () =>
	guarded(async () => {
		if (!envelope || !innerId) return 'encrypt something first';
		const { client, sealClient, wallet, packageId } = context();
		const sessionKey = await createWalletSessionKey({ wallet, packageId, suiClient: client });
		const txBytes = await buildApproveTxBytes({
			packageId,
			targets: [{ policy: 'allowlist', innerId, allowlistId: $('allowlist').value }],
			client,
		});
		const plain = await decryptEnvelopeBytes(envelope, { sealClient, sessionKey, txBytes });
		return `decrypted: ${new TextDecoder().decode(plain)}`;
	});
