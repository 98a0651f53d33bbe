import { describe, expect, it } from 'vitest';

import * as library from '../../ts/index.js';

// The public surface app teams import: one name per concern the issues ask for.
describe('ts/index.ts', () => {
	it.each([
		'loadConfig',
		'NETWORKS',
		'allowlistInnerId',
		'ownerInnerId',
		'fullIdentity',
		'readBlob',
		'encryptEnvelope',
		'decryptEnvelope',
		'rewrapEnvelope',
		'readEnvelopeHeader',
		'deriveWalletKey',
		'AuditLog',
		'verifyAuditLog',
		'createSuiClient',
		'loadSigner',
		'executeTransaction',
		'publishAndRecord',
		'readDeployment',
		'createAllowlistTx',
		'createAllowlist',
		'createAndKeepAllowlistTx',
		'createWalletSessionKey',
		'createAllowlistWithWallet',
		'readPackageInfo',
		'restrictUpgradePolicy',
		'readAllowlist',
		'createSealClient',
		'createSessionKey',
		'buildApproveTxBytes',
		'sealEncrypt',
		'batchDecrypt',
		'startKeyServer',
		'NodeAddressAliases',
		'MvrResolver',
		'validatePtb',
		'deriveMasterKey',
		'loadPermissionedKeys',
		'PermissionedConfigError',
		'parseKeyServerConfig',
		'HarnessError',
		'ConfigError',
	])('exports %s', (name) => {
		expect(library).toHaveProperty(name);
		expect((library as Record<string, unknown>)[name]).toBeDefined();
	});
});
