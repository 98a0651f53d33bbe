/**
 * The browser entry (`seal-policies/browser`): everything a dApp needs, and nothing that needs
 * Node. No module in this graph imports a `node:` built-in or uses `Buffer` (a test bundles it
 * for the browser platform and fails on any `node:` import; the browser tier runs it in
 * Chromium).
 *
 * - identities: `allowlistInnerId`, `ownerInnerId`, `randomNonce`, hex helpers;
 * - approval PTBs: `buildApproveTransaction` / `buildApproveTxBytes`;
 * - allowlist administration: `createAllowlistTx`, `addMemberTx`, ... and `readAllowlist`;
 * - the envelope on WebCrypto and Web Streams (byte-compatible with the Node envelope);
 * - `readPackageInfo`: who holds the policy package's UpgradeCap (or that it is immutable);
 * - Seal flows behind a wallet (`SealWallet`: dapp-kit's `signPersonalMessage` and
 *   `signAndExecuteTransaction`).
 */

export * from './errors.js';
// The error classes each wing owns (see docs/architecture.md), as this entry always exported them.
export { AuditLogError, AuditLogLockedError } from './audit/errors.js';
export type { AuditLockHolder } from './audit/errors.js';
export {
	SignerError,
	TransactionFailedError,
	MoveAbortError,
	DeploymentRecordError,
	ObjectReadError,
} from './chain/errors.js';
export type { MoveAbortDetails } from './chain/errors.js';
export {
	FormatError,
	TruncatedInputError,
	UnknownFormatTagError,
	MalformedCiphertextError,
	DecryptionFailedError,
} from './crypto/errors.js';
export {
	SealAccessDeniedError,
	SessionKeyExpiredError,
	SealKeyServerError,
	SealObjectNotVisibleError,
} from './crypto/seal-errors.js';
export { KeyServerRequestError, InvalidPtbError, KeyServerStartError } from './keyserver/errors.js';
export type { KeyServerErrorName } from './keyserver/errors.js';
export { LocalnetError } from './localnet/errors.js';
export {
	PublishError,
	PackageUnchangedError,
	MoveBuildError,
	MoveToolchainError,
} from './move/errors.js';
export type { MoveDiagnostic } from './move/errors.js';
export {
	WrongCapError,
	DuplicateMemberError,
	NotMemberError,
	PolicyNoAccessError,
	WrongVersionError,
	AlreadyMigratedError,
} from './policies/errors.js';
export {
	VaultError,
	VaultRecordTamperedError,
	VaultUnknownEpochError,
	VaultDatabaseError,
	VaultLockedError,
} from './vault/errors.js';
export type { VaultDatabaseProblem } from './vault/errors.js';
export * from './identity.js';
export * from './crypto/format-seal.js';
export {
	decodeEnvelopeHeader,
	encodeEnvelopeHeader,
	ENVELOPE_VERSION,
	MAX_CHUNK_SIZE,
	MIN_CHUNK_SIZE,
	type EnvelopeServer,
} from './crypto/envelope-header.js';
export * from './browser/envelope.js';
export * from './browser/wallet.js';

export * from './policies/modules.js';
export {
	ALLOWLIST_MODULE,
	AllowlistBcs,
	MAX_ALLOWLIST_NAME_BYTES,
	addMemberTx,
	checkAllowlistName,
	createAllowlistTx,
	createAndKeepAllowlistTx,
	migrateTx,
	parseAllowlistEvent,
	readAllowlist,
	removeMemberTx,
	type AllowlistEvent,
	type AllowlistState,
	type ReadAllowlistOptions,
} from './policies/allowlist.js';
export {
	MAX_APPROVE_COMMANDS,
	allowlistIdOfInnerId,
	buildApproveTransaction,
	buildApproveTxBytes,
	type ApproveOptions,
	type ApproveTarget,
} from './seal/approve.js';
export { createSealClient, type SealClientOptions } from './seal/client.js';
// Check who can still change the policy package before relying on it.
export {
	describePackageInfo,
	readPackageInfo,
	type CapHolder,
	type PackageInfo,
} from './package-info/read.js';
