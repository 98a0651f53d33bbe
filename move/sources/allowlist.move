/// Seal policy: a namespace whose members may decrypt.
///
/// - Who encrypts: anyone, under `[this package's original id][allowlist id][nonce]`; the
///   allowlist id is public (`namespace`).
/// - Who decrypts: every address that is a member of the allowlist when a key server evaluates
///   `seal_approve`. The creator starts as a member; the `AllowlistCap` holder adds and removes.
/// - Creation composes in one transaction: `new` returns the list and its cap, the caller may
///   `add` members, then `share` the list and keep or transfer the cap. `create_and_keep` is the
///   `entry` convenience that does `new` + `share` and sends the cap to the sender.
/// - What `remove` revokes: every key request evaluated after the removal is visible to the key
///   server's full node. It cannot take back keys the member already fetched (they decrypt the
///   matching ciphertexts forever, offline), nor bind a key server whose full node lags behind
///   and still sees the old member set. Re-encrypt under a new nonce after a removal when past
///   data must be cut off from the removed member.
/// - Who can change the rule itself: whoever holds the package's `UpgradeCap`, by publishing an
///   upgrade with a different `seal_approve`. Restrict the cap (`dependency-only`) or make the
///   package immutable to remove that power.
/// - Key-id format (inner id): `[allowlist object id, 32 bytes][nonce, any length, may be empty]`.
/// - Versioning: each `Allowlist` stores `version`. Every function that takes one requires
///   `version == VERSION` (except `migrate` and the `version` getter). After an upgrade that bumps
///   `VERSION`, the cap holder calls `migrate` with the new package, which retires the old one for
///   that list.
///
/// Members live in a `Table`, so `is_member` and `seal_approve` cost the same for 1 or 100,000
/// members.
module seal_policies::allowlist;

use seal_policies::identity;
use std::string::String;
use sui::{event, table::{Self, Table}};

// === Errors ===

/// The capability administers a different allowlist.
#[error(code = 1)]
const EWrongCap: vector<u8> = b"Capability does not administer this allowlist";
/// `add` of an address that is already a member.
#[error(code = 2)]
const EDuplicateMember: vector<u8> = b"Address is already a member of this allowlist";
/// `remove` of an address that is not a member.
#[error(code = 3)]
const ENotMember: vector<u8> = b"Address is not a member of this allowlist";
/// `seal_approve` denied: the key id is outside this namespace or the sender is not a member.
#[error(code = 4)]
const ENoAccess: vector<u8> =
    b"Key id is not in this allowlist's namespace or sender is not a member";
/// The allowlist object is not at this package's `VERSION`.
#[error(code = 5)]
const EWrongVersion: vector<u8> = b"Allowlist version does not match this package; migrate it";
/// `migrate` of an allowlist that is already at `VERSION`.
#[error(code = 6)]
const EAlreadyMigrated: vector<u8> = b"Allowlist is already at the current package version";

// === Constants ===

/// The object version this package accepts. Bump it in an upgrade that changes the object layout
/// or the policy, then `migrate` each allowlist.
const VERSION: u64 = 1;

// === Structs ===

/// A shared namespace. Its object id is the prefix of every key id it governs.
public struct Allowlist has key {
    id: UID,
    version: u64,
    name: String,
    members: Table<address, bool>,
    member_count: u64,
}

/// Administers exactly the allowlist `allowlist_id`.
public struct AllowlistCap has key, store {
    id: UID,
    allowlist_id: ID,
}

// === Events ===

/// Emitted once by `new`: the list `allowlist_id` named `name` exists and `creator` is its first
/// member (a `MemberAdded` for the creator follows in the same transaction).
public struct AllowlistCreated has copy, drop {
    allowlist_id: ID,
    name: String,
    creator: address,
}

/// Emitted by `new` (for the creator) and `add`: `member` may decrypt from now on; `actor` is the
/// sender who held the cap.
public struct MemberAdded has copy, drop {
    allowlist_id: ID,
    member: address,
    actor: address,
}

/// Emitted by `remove`: `member` is refused by `seal_approve` from now on (keys it already fetched
/// stay usable); `actor` is the sender who held the cap.
public struct MemberRemoved has copy, drop {
    allowlist_id: ID,
    member: address,
    actor: address,
}

// === Public Functions ===

/// A new allowlist named `name` with the sender as its first member, and the cap that administers
/// it. Not shared yet: add members in the same transaction, then `share` it.
public fun new(name: String, ctx: &mut TxContext): (Allowlist, AllowlistCap) {
    let creator = ctx.sender();
    let mut allowlist = Allowlist {
        id: object::new(ctx),
        version: VERSION,
        name,
        members: table::new(ctx),
        member_count: 0,
    };
    let allowlist_id = object::id(&allowlist);
    event::emit(AllowlistCreated { allowlist_id, name: allowlist.name, creator });
    allowlist.insert_member(creator, creator);
    (allowlist, AllowlistCap { id: object::new(ctx), allowlist_id })
}

/// Shares `allowlist` so key servers and members can pass it to `seal_approve`.
public fun share(allowlist: Allowlist) {
    allowlist.assert_current_version();
    transfer::share_object(allowlist);
}

/// `new` + `share`, then send the cap to the sender.
entry fun create_and_keep(name: String, ctx: &mut TxContext) {
    let (allowlist, cap) = new(name, ctx);
    allowlist.share();
    transfer::transfer(cap, ctx.sender());
}

/// Adds `member`. Aborts with `EDuplicateMember` if it is already a member. The version is
/// checked before the cap: a list at another version fails with `EWrongVersion` even with a wrong
/// cap (same for `remove`).
public fun add(allowlist: &mut Allowlist, cap: &AllowlistCap, member: address, ctx: &TxContext) {
    allowlist.assert_current_version();
    allowlist.assert_cap(cap);
    allowlist.insert_member(member, ctx.sender());
}

/// Removes `member`. Aborts with `ENotMember` if it is not a member.
public fun remove(allowlist: &mut Allowlist, cap: &AllowlistCap, member: address, ctx: &TxContext) {
    allowlist.assert_current_version();
    allowlist.assert_cap(cap);
    assert!(allowlist.members.contains(member), ENotMember);
    allowlist.members.remove(member);
    allowlist.member_count = allowlist.member_count - 1;
    event::emit(MemberRemoved {
        allowlist_id: object::id(allowlist),
        member,
        actor: ctx.sender(),
    });
}

/// Moves `allowlist` to this package's `VERSION`. Call it through the upgraded package. The cap is
/// checked first: a wrong cap fails with `EWrongCap` whatever the list's version.
public fun migrate(allowlist: &mut Allowlist, cap: &AllowlistCap) {
    allowlist.assert_cap(cap);
    assert!(allowlist.version != VERSION, EAlreadyMigrated);
    // A newer package already migrated it; this (older) package must not move it back.
    assert!(allowlist.version < VERSION, EWrongVersion);
    allowlist.version = VERSION;
}

// === Public View Functions ===

public fun is_member(allowlist: &Allowlist, who: address): bool {
    allowlist.assert_current_version();
    allowlist.members.contains(who)
}

/// The 32 bytes every key id of this allowlist starts with (its object id).
public fun namespace(allowlist: &Allowlist): vector<u8> {
    allowlist.assert_current_version();
    object::id(allowlist).to_bytes()
}

public fun member_count(allowlist: &Allowlist): u64 {
    allowlist.assert_current_version();
    allowlist.member_count
}

/// Not version-checked: callers read it to find out whether `migrate` is needed.
public fun version(allowlist: &Allowlist): u64 {
    allowlist.version
}

public fun name(allowlist: &Allowlist): String {
    allowlist.assert_current_version();
    allowlist.name
}

public fun allowlist_id(cap: &AllowlistCap): ID {
    cap.allowlist_id
}

// === Access control ===
// Key id: [allowlist object id (32 bytes)][nonce]. Approved iff the object is at VERSION, the id
// starts with its namespace and the sender is a member.

fun check_policy(id: &vector<u8>, allowlist: &Allowlist, caller: address): bool {
    identity::has_prefix(id, &object::id(allowlist).to_bytes()) &&
        allowlist.members.contains(caller)
}

/// Called by Seal key servers (dry run); no side effects. Aborts with `EWrongVersion` for an
/// object at another version and `ENoAccess` when access is denied.
entry fun seal_approve(id: vector<u8>, allowlist: &Allowlist, ctx: &TxContext) {
    allowlist.assert_current_version();
    assert!(check_policy(&id, allowlist, ctx.sender()), ENoAccess);
}

// === Private Functions ===

fun assert_current_version(allowlist: &Allowlist) {
    assert!(allowlist.version == VERSION, EWrongVersion);
}

fun assert_cap(allowlist: &Allowlist, cap: &AllowlistCap) {
    assert!(cap.allowlist_id == object::id(allowlist), EWrongCap);
}

fun insert_member(allowlist: &mut Allowlist, member: address, actor: address) {
    assert!(!allowlist.members.contains(member), EDuplicateMember);
    allowlist.members.add(member, true);
    allowlist.member_count = allowlist.member_count + 1;
    event::emit(MemberAdded { allowlist_id: object::id(allowlist), member, actor });
}

// === Test Functions ===

#[test_only]
/// Puts `allowlist` at an arbitrary version, to test version checks and `migrate`.
public fun set_version_for_testing(allowlist: &mut Allowlist, version: u64) {
    allowlist.version = version;
}

#[test_only]
public fun current_version_for_testing(): u64 {
    VERSION
}

#[test_only]
public fun allowlist_created_for_testing(
    allowlist_id: ID,
    name: String,
    creator: address,
): AllowlistCreated {
    AllowlistCreated { allowlist_id, name, creator }
}

#[test_only]
public fun member_added_for_testing(
    allowlist_id: ID,
    member: address,
    actor: address,
): MemberAdded {
    MemberAdded { allowlist_id, member, actor }
}

#[test_only]
public fun member_removed_for_testing(
    allowlist_id: ID,
    member: address,
    actor: address,
): MemberRemoved {
    MemberRemoved { allowlist_id, member, actor }
}
