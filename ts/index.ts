/**
 * Public surface of the seal-policies library. Everything here takes its collaborators (Sui
 * client, signer, Seal client, logger) as arguments; nothing reads the environment except
 * `loadConfig`.
 */

// Configuration, networks, errors, logging
export * from './config.js';
export * from './chain/networks.js';
export * from './errors.js';
export * from './crypto/errors.js';
export * from './chain/errors.js';
export * from './audit/errors.js';
export * from './move/errors.js';
export * from './logger.js';

// Identities and ciphertext formats
export * from './identity.js';
export * from './crypto/node/format.js';
export * from './crypto/node/envelope.js';
export * from './crypto/node/wallet-key.js';
export * from './audit/log.js';

// Sui plumbing: clients, signers, transactions, deployment records
export * from './chain/sui-client.js';
export * from './chain/signer.js';
export * from './chain/transactions.js';
export * from './chain/deployments.js';
export * from './atomic-file.js';

// Move package: build, test, publish
export * from './move/build.js';
export * from './move/test-runner.js';
export * from './move/publish.js';
export * from './move/build-env.js';
export * from './move/publication-file.js';

// Policies (transaction builders, executors, readers)
export * from './policies/allowlist.js';
export * from './policies/errors.js';
export * from './sui-install/errors.js';
export * from './localnet/errors.js';
export * from './policies/modules.js';

// Seal flows
export * from './seal/client.js';
export * from './seal/session.js';
export {
	MAX_APPROVE_COMMANDS,
	buildApproveTransaction,
	buildApproveTxBytes,
	allowlistIdOfInnerId,
	type ApproveTarget,
	type ApproveOptions,
} from './seal/approve.js';
export * from './seal/encrypt.js';
export * from './seal/decrypt.js';
export * from './seal/retry.js';
export * from './crypto/seal-errors.js';
export * from './seal/packages.js';
export type { KeyAccessRecorder, KeyAccessContext } from './seal/key-access-audit.js';
// Upgrade power: package info, restrict, freeze
export * from './package-info/read.js';
export * from './chain/upgrade-policies.js';
export * from './package-info/upgrade-policy.js';
// Wallet-signed flows (the same ones the browser entry exports)
export * from './browser/wallet.js';

// Key server (TypeScript implementation of Seal's wire protocol)
export * from './keyserver/server.js';
export * from './keyserver/keys.js';
export * from './keyserver/evaluator.js';
export * from './keyserver/node-evaluator.js';
export * from './keyserver/packages.js';
export * from './keyserver/address-aliases.js';
export * from './keyserver/mvr.js';
export * from './keyserver/valid-ptb.js';
export * from './keyserver/errors.js';
export * from './keyserver/derive-key.js';
export * from './keyserver/permissioned.js';
export { parseKeyServerConfig, type KeyServerFileConfig } from './keyserver/config-file.js';

// Records vault (one Seal-sealed key per epoch, AES-256-GCM per record; SQLite / PostgreSQL)
export * from './vault/index.js';
export * from './vault/errors.js';
