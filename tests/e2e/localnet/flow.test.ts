import { describe, expect, it } from 'vitest';
import { startFaultServers } from '../../../ts/e2e/fault-servers.js';
import {
	addNamespaceMember,
	createNamespace,
	decryptAs,
	encryptFor,
	newAccount,
} from '../../../ts/e2e/steps.js';
import { SealKeyServerError } from '../../../ts/crypto/seal-errors.js';
import { registerScenarios, registerUpgradeScenario } from '../support/scenarios.js';
import { announceSkip, localnetSkipReason, ROOT, useLocalnet } from '../support/tiers.js';

announceSkip('e2e-localnet', localnetSkipReason);

describe.skipIf(localnetSkipReason !== undefined)(
	'localnet: publish, namespaces, Seal 2-of-3',
	() => {
		const getEnv = useLocalnet();
		registerScenarios(getEnv);
		registerUpgradeScenario(getEnv, { root: ROOT, buildEnv: process.env });

		it('one key server down still decrypts; two down gives a clear error', async () => {
			const env = getEnv();
			const ns = await createNamespace(env, `faults-${Date.now()}`);
			const member = await newAccount(env);
			await addNamespaceMember(env, ns, member.toSuiAddress());
			const faults = await startFaultServers(env, 3);
			try {
				const choice = { servers: faults.entries, threshold: 2 };
				const blob = await encryptFor(
					env,
					{ policy: 'allowlist', allowlistId: ns.allowlistId },
					new Uint8Array([42]),
					choice,
				);
				await faults.stop(2);
				expect(Array.from(await decryptAs(env, member, blob, 'allowlist', choice))).toEqual([42]);
				await faults.stop(1);
				const failure = decryptAs(env, member, blob, 'allowlist', choice);
				await expect(failure).rejects.toThrow(SealKeyServerError);
				await expect(failure).rejects.toThrow(
					/not enough key servers answered to reach threshold 2/,
				);
			} finally {
				await faults.close();
			}
		});
	},
);
