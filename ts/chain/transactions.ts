/**
 * Executors: sign, execute, wait until the transaction is visible, and return its effects.
 * Every failure becomes a typed error; Move aborts of the policy package become the class named
 * after the Move constant (`ENotMember` → `NotMemberError`, ...), others a `MoveAbortError`
 * carrying module, function and code. Builders (pure) live next to each policy.
 */
import type { SuiClientTypes } from '@mysten/sui/client';
import { SimulationError } from '@mysten/sui/client';
import type { Signer } from '@mysten/sui/cryptography';
import type { Transaction } from '@mysten/sui/transactions';
import { normalizeSuiAddress, parseStructTag } from '@mysten/sui/utils';

import { HarnessError } from '../errors.js';
import { MoveAbortError, TransactionFailedError, type MoveAbortDetails } from './errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SuiClient } from './sui-client.js';

const INCLUDE = { effects: true, events: true, objectTypes: true } as const;

/** What an executed, successful transaction left behind. */
export interface ExecutedTransaction {
	digest: string;
	effects: SuiClientTypes.TransactionEffects;
	/** Object id → Move type for every changed object. */
	objectTypes: Record<string, string>;
	events: SuiClientTypes.Event[];
}

export interface ExecuteTransactionOptions {
	client: SuiClient;
	signer: Signer;
	transaction: Transaction;
	logger?: Logger;
	/** Short description for progress lines, e.g. `publish seal_policies`. */
	label?: string;
	/** How long to wait for the executed transaction to become readable (default 60 s). */
	waitTimeoutMs?: number;
	/** Turns the aborts of a known package into typed errors (e.g. `policyAbortClassifier`). */
	classifyAbort?: AbortClassifier | undefined;
}

/** The constructor of a typed abort error (e.g. `NotMemberError`). */
export type MoveAbortErrorClass = new (
	message: string,
	details: MoveAbortDetails,
) => MoveAbortError;

/** What a classifier knows about one abort: its constant, its error class and what to do. */
export interface KnownAbort {
	constantName: string;
	errorClass: MoveAbortErrorClass;
	hint: string;
}

/**
 * Recognises the aborts of one package (its module, constant name or `#[error(code = N)]` code,
 * and location). The executor knows no package: the caller passes the classifier for the
 * package it calls, so this chain plumbing never imports policy code.
 */
export type AbortClassifier = (details: MoveAbortDetails) => KnownAbort | undefined;

/**
 * Builds (with the client resolving objects, gas and budget), signs and executes `transaction`,
 * then waits until the full node serves it, so objects it created can be read right away.
 */
export async function executeTransaction({
	client,
	signer,
	transaction,
	logger = silentLogger,
	label = 'transaction',
	waitTimeoutMs = 60_000,
	classifyAbort,
}: ExecuteTransactionOptions): Promise<ExecutedTransaction> {
	transaction.setSenderIfNotSet(signer.toSuiAddress());
	let bytes: Uint8Array;
	try {
		// Building simulates the transaction to set the gas budget, so most aborts surface here.
		bytes = await transaction.build({ client });
	} catch (error) {
		throw buildFailure(error, label, classifyAbort);
	}
	const { signature } = await signer.signTransaction(bytes);
	logger.debug(`${label}: submitting`);
	let result: SuiClientTypes.TransactionResult<typeof INCLUDE>;
	try {
		result = await client.core.executeTransaction({
			transaction: bytes,
			signatures: [signature],
			include: INCLUDE,
		});
	} catch (error) {
		throw new TransactionFailedError(
			`${label} was rejected by the full node: ${messageOf(error)}`,
			{ digest: undefined, kind: 'Rejected' },
			{ cause: error },
		);
	}
	const executed = result.Transaction ?? result.FailedTransaction;
	if (result.$kind === 'FailedTransaction' || !executed.status.success) {
		throw errorFromExecutionStatus(executed.status, executed.digest, label, classifyAbort);
	}
	try {
		await client.core.waitForTransaction({ result, timeout: waitTimeoutMs });
	} catch (error) {
		throw new TransactionFailedError(
			`${label} executed as ${executed.digest} but the full node did not serve it within ` +
				`${Math.round(waitTimeoutMs / 1000)} s; check it with \`sui client tx-block ${executed.digest}\``,
			{ digest: executed.digest, kind: 'Timeout' },
			{ cause: error },
		);
	}
	logger.debug(`${label}: executed ${executed.digest}`);
	return {
		digest: executed.digest,
		effects: executed.effects,
		objectTypes: executed.objectTypes,
		events: executed.events,
	};
}

/** The typed error for a failed execution status (pure: unit-testable from SDK data). */
export function errorFromExecutionStatus(
	status: SuiClientTypes.ExecutionStatus,
	digest: string | undefined,
	label = 'transaction',
	classifyAbort?: AbortClassifier,
): TransactionFailedError {
	if (status.success) {
		return new TransactionFailedError(`${label}: reported as failed with a success status`, {
			digest,
			kind: 'Unknown',
		});
	}
	return errorFromExecutionError(status.error, digest, label, classifyAbort);
}

/** The typed error for an SDK `ExecutionError` (from effects or from a failed simulation). */
export function errorFromExecutionError(
	error: SuiClientTypes.ExecutionError,
	digest: string | undefined,
	label = 'transaction',
	classifyAbort?: AbortClassifier,
): TransactionFailedError {
	if (error.$kind === 'MoveAbort') {
		return errorFromMoveAbort(error.MoveAbort, {
			digest,
			command: error.command,
			classifyAbort,
		});
	}
	const where = digest ? ` (tx ${digest})` : ' (in simulation, nothing was executed)';
	return new TransactionFailedError(`${label} failed: ${error.$kind}: ${error.message}${where}`, {
		digest,
		kind: error.$kind,
		command: error.command,
	});
}

/**
 * Maps a structured Move abort to the typed error `classifyAbort` names for it (by constant
 * name, or by the `#[error(code = N)]` code when the transport (JSON-RPC) gives no name), else
 * to a plain `MoveAbortError`.
 */
export function errorFromMoveAbort(
	abort: SuiClientTypes.MoveAbort,
	context: {
		digest: string | undefined;
		command?: number | undefined;
		classifyAbort?: AbortClassifier | undefined;
	},
): MoveAbortError {
	const location = abort.location;
	const details: MoveAbortDetails = {
		digest: context.digest,
		command: context.command,
		packageId: location?.package ? normalizeSuiAddress(location.package) : undefined,
		module: location?.module || undefined,
		functionName: location?.functionName || undefined,
		abortCode: abort.abortCode,
		constantName: abort.cleverError?.constantName || undefined,
		errorCode: abort.cleverError?.errorCode ?? errorCodeWithoutCleverError(abort),
	};
	const where =
		[details.module, details.functionName].filter(Boolean).join('::') || 'unknown location';
	const tx = details.digest ? `tx ${details.digest}` : 'in simulation, nothing was executed';
	const known = context.classifyAbort?.(details);
	if (known) {
		const message = `${known.constantName} in ${where}: ${known.hint} (${tx})`;
		return new known.errorClass(message, { ...details, constantName: known.constantName });
	}
	const what = details.constantName ?? `abort code ${details.abortCode}`;
	const pkg = details.packageId ? `${details.packageId}::` : '';
	return new MoveAbortError(`Move abort ${what} in ${pkg}${where} (${tx})`, details);
}

/** Largest `#[error(code = N)]` code (8 bits in the clever abort code). */
const MAX_ERROR_CODE = 0xfe;

/**
 * The error code when the transport sent no clever error: a raw clever abort code carries it
 * (decoded here), and a JSON-RPC full node has already decoded it, so `abortCode` is N itself
 * (sui-json-rpc-types `SuiMoveAbort::new` reports `error_code` = N for clever codes; the SDK's
 * JSON-RPC core passes that on as `abortCode`). A small plain code is read as N too: our
 * modules abort only with `#[error(code = N)]` constants, and matching by package keeps
 * other packages' plain codes out.
 */
function errorCodeWithoutCleverError(abort: SuiClientTypes.MoveAbort): number | undefined {
	const decoded = decodeCleverErrorCode(abort.abortCode);
	if (decoded !== undefined || abort.cleverError !== undefined) return decoded;
	if (!/^\d{1,3}$/.test(abort.abortCode)) return undefined;
	const code = Number(abort.abortCode);
	return code <= MAX_ERROR_CODE ? code : undefined;
}

/**
 * The `#[error(code = N)]` code inside a clever abort code, or undefined for plain u64 codes and
 * clever codes without one. Layout (MSB first): 4-bit version (0b1100 carries a code), 4 reserved
 * bits, 8-bit code, 16-bit line, 16-bit identifier index, 16-bit constant index.
 */
export function decodeCleverErrorCode(abortCode: string): number | undefined {
	let value: bigint;
	try {
		value = BigInt(abortCode);
	} catch {
		return undefined;
	}
	if (value < 0n || value >= 1n << 64n) return undefined;
	if (value >> 60n !== 0b1100n) return undefined;
	const code = Number((value >> 48n) & 0xffn);
	// 0xff is the "no code" sentinel.
	return code === 0xff ? undefined : code;
}

/** Objects the transaction created, with their Move types. */
export function createdObjects(
	executed: ExecutedTransaction,
): { objectId: string; type: string | undefined; owner: SuiClientTypes.ObjectOwner | null }[] {
	return executed.effects.changedObjects
		.filter((change) => change.idOperation === 'Created')
		.map((change) => ({
			objectId: change.objectId,
			type: executed.objectTypes[change.objectId],
			owner: change.outputOwner,
		}));
}

/**
 * The id of the one object of type `<any package>::module::name` the transaction created. Types
 * carry the defining (original) package id, so only module and name are compared unless
 * `address` is given.
 */
export function findCreatedObject(
	executed: ExecutedTransaction,
	{ address, module, name }: { address?: string; module: string; name: string },
): string {
	const matches = createdObjects(executed).filter(({ type }) => {
		if (type === undefined) return false;
		try {
			const tag = parseStructTag(type);
			return (
				tag.module === module &&
				tag.name === name &&
				(address === undefined || normalizeSuiAddress(tag.address) === normalizeSuiAddress(address))
			);
		} catch {
			return false;
		}
	});
	const [first, ...rest] = matches;
	if (!first || rest.length > 0) {
		throw new TransactionFailedError(
			`tx ${executed.digest} created ${matches.length} objects of type ${module}::${name}, expected 1`,
			{ digest: executed.digest, kind: 'UnexpectedEffects' },
		);
	}
	return first.objectId;
}

function buildFailure(
	error: unknown,
	label: string,
	classifyAbort: AbortClassifier | undefined,
): HarnessError {
	if (error instanceof HarnessError) return error;
	if (error instanceof SimulationError && error.executionError) {
		return errorFromExecutionError(error.executionError, undefined, label, classifyAbort);
	}
	return new TransactionFailedError(
		`${label} could not be prepared: ${messageOf(error)}`,
		{ digest: undefined, kind: 'BuildFailed' },
		{ cause: error },
	);
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
