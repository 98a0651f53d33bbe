/**
 * The e2e-localnet scenarios again, against a committee: `localnet up --committee 2-of-3` (one
 * on-chain KeyServer of type Committee, three members behind the aggregator; the client config
 * holds its object id and `aggregatorUrl`). Then the committee's own threshold: one member down
 * still decrypts, two down fails with a typed error.
 */
import { describe, expect, it } from 'vitest';
import {
	addNamespaceMember,
	createNamespace,
	decryptAs,
	encryptFor,
	newAccount,
} from '../../../ts/e2e/steps.js';
import { HarnessError } from '../../../ts/errors.js';
import { stopKeyServer } from '../../../ts/localnet/down.js';
import { memberName } from '../../../ts/localnet/committee.js';
import { registerScenarios } from '../support/scenarios.js';
import {
	announceSkip,
	COMMITTEE_TOPOLOGY,
	localnetCommitteeSkipReason,
	ROOT,
	useLocalnet,
} from '../support/tiers.js';

announceSkip('e2e-localnet committee', localnetCommitteeSkipReason);

describe.skipIf(localnetCommitteeSkipReason !== undefined)(
	'localnet: committee 2-of-3 behind the aggregator',
	() => {
		const getEnv = useLocalnet(COMMITTEE_TOPOLOGY);

		it('the client config reaches the committee through its aggregator', () => {
			const committee = getEnv().servers.filter((s) => s.aggregatorUrl !== undefined);
			expect(committee).toHaveLength(1);
			expect(committee[0]?.aggregatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		});

		registerScenarios(getEnv);

		// Last: it stops members, so only on a stack this file started.
		it('one member down still decrypts; two down gives a typed error', async (context) => {
			if (!getEnv.owned()) context.skip();
			const env = getEnv();
			const ns = await createNamespace(env, `committee-faults-${Date.now()}`);
			const member = await newAccount(env);
			await addNamespaceMember(env, ns, member.toSuiAddress());
			const blob = await encryptFor(
				env,
				{ policy: 'allowlist', allowlistId: ns.allowlistId },
				new Uint8Array([7]),
			);
			expect(await stopKeyServer({ root: ROOT, name: memberName(0) })).toBe(true);
			expect(Array.from(await decryptAs(env, member, blob, 'allowlist'))).toEqual([7]);
			expect(await stopKeyServer({ root: ROOT, name: memberName(1) })).toBe(true);
			await expect(decryptAs(env, member, blob, 'allowlist')).rejects.toThrow(HarnessError);
		});
	},
);
