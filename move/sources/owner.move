/// Seal policy: identities that exactly one address can decrypt.
///
/// - Who encrypts: anyone who knows the owner's address, under
///   `[this package's original id][id_for(owner, nonce)]`.
/// - Who decrypts: only the owner, i.e. the sender of the `seal_approve` call. The owner is read
///   from the key id, never from a caller-supplied argument.
/// - Key-id format (inner id): `[owner address, 32 bytes][nonce, any length, may be empty]`.
/// - The rule cannot be changed by anyone at run time: there is no object, no cap and no admin
///   function, so no transaction can widen who decrypts. An upgrade of this module must keep the
///   rule (it is the module's contract: the owner, and only the owner, read from the key id); the
///   only party able to break that promise is the `UpgradeCap` holder, and publishing with
///   `--upgrade-policy dependency-only` or `immutable` (or `package freeze`) takes that power
///   away for good. Check it with `seal-policies package info`.
/// - Removal: there is none; an owner identity is the owner's forever.
module seal_policies::owner;

use seal_policies::identity;

// === Errors ===

/// The key id does not start with the sender's address.
#[error(code = 1)]
const ENoAccess: vector<u8> = b"Key id does not start with the sender's address";

// === Public Functions ===

/// The inner id `[owner][nonce]` that only `owner` can decrypt.
public fun id_for(owner: address, nonce: vector<u8>): vector<u8> {
    identity::inner_id(owner.to_bytes(), nonce)
}

// === Access control ===
// Key id: [owner address (32 bytes)][nonce]. Approved iff the first 32 bytes are the sender.

/// True when `id` is at least 32 bytes and its first 32 bytes are `caller`'s address.
fun check_policy(id: &vector<u8>, caller: address): bool {
    identity::has_prefix(id, &caller.to_bytes())
}

/// Called by Seal key servers (dry run). Aborts with `ENoAccess` unless the sender owns `id`.
entry fun seal_approve(id: vector<u8>, ctx: &TxContext) {
    assert!(check_policy(&id, ctx.sender()), ENoAccess);
}
