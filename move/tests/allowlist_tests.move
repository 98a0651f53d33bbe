#[test_only]
module seal_policies::allowlist_tests;

use seal_policies::{allowlist::{Self, Allowlist, AllowlistCap}, identity};
use std::unit_test::assert_eq;
use sui::{address, event, test_scenario::{Self, Scenario}};

const ADMIN: address = @0xad;
const ALICE: address = @0xa11ce;
const BOB: address = @0xb0b;
const NONCE: vector<u8> = x"0102030405";

// === Helpers ===

/// Scenario after ADMIN created one allowlist (shared) and holds its cap; returns its id.
fun setup(): (Scenario, ID) {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = create_shared(b"team".to_string(), scenario.ctx());
    let id = cap.allowlist_id();
    transfer::public_transfer(cap, ADMIN);
    scenario.next_tx(ADMIN);
    (scenario, id)
}

/// As ADMIN, adds `member` to the allowlist `id`.
fun add_member(scenario: &mut Scenario, id: ID, member: address) {
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    list.add(&cap, member, scenario.ctx());
    scenario.return_to_sender(cap);
    test_scenario::return_shared(list);
}

/// As ADMIN, removes `member` from the allowlist `id`.
fun remove_member(scenario: &mut Scenario, id: ID, member: address) {
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    list.remove(&cap, member, scenario.ctx());
    scenario.return_to_sender(cap);
    test_scenario::return_shared(list);
}

/// As ADMIN, puts the allowlist `id` at `version`.
fun set_version(scenario: &mut Scenario, id: ID, version: u64) {
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    list.set_version_for_testing(version);
    test_scenario::return_shared(list);
}

/// As `sender`, calls `seal_approve(id_bytes, list)` in a fresh transaction.
fun approve_as(scenario: &mut Scenario, list_id: ID, sender: address, id_bytes: vector<u8>) {
    scenario.next_tx(sender);
    let list = scenario.take_shared_by_id<Allowlist>(list_id);
    allowlist::seal_approve(id_bytes, &list, scenario.ctx());
    test_scenario::return_shared(list);
}

fun key_id(list_id: ID, nonce: vector<u8>): vector<u8> {
    identity::inner_id(list_id.to_bytes(), nonce)
}

/// `new` + `share`, returning the cap: the shape most tests start from.
fun create_shared(name: std::string::String, ctx: &mut TxContext): AllowlistCap {
    let (list, cap) = allowlist::new(name, ctx);
    list.share();
    cap
}

/// A version only a future package would write.
fun newer_version(): u64 {
    allowlist::current_version_for_testing() + 1
}

/// As BOB, a second list whose cap is the wrong one for every other list.
fun other_cap(scenario: &mut Scenario): AllowlistCap {
    scenario.next_tx(BOB);
    create_shared(b"other".to_string(), scenario.ctx())
}

/// A distinct address per index, far from the named test addresses.
fun member_address(i: u64): address {
    address::from_u256(((i as u256) + 0x10000))
}

// === new / share / create_and_keep ===

#[test]
fun new_composes_with_add_before_share() {
    let mut scenario = test_scenario::begin(ADMIN);
    let (mut list, cap) = allowlist::new(b"team".to_string(), scenario.ctx());
    let id = object::id(&list);
    assert_eq!(cap.allowlist_id(), id);
    list.add(&cap, ALICE, scenario.ctx());
    list.add(&cap, BOB, scenario.ctx());
    list.share();
    transfer::public_transfer(cap, ADMIN);
    let effects = scenario.next_tx(ADMIN);
    assert_eq!(effects.shared(), vector[id]);
    // AllowlistCreated + MemberAdded for ADMIN, ALICE and BOB.
    assert_eq!(effects.num_user_events(), 4);

    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert!(list.is_member(ADMIN));
    assert!(list.is_member(ALICE));
    assert!(list.is_member(BOB));
    assert_eq!(list.member_count(), 3);
    test_scenario::return_shared(list);
    approve_as(&mut scenario, id, ALICE, key_id(id, NONCE));
    scenario.end();
}

#[test]
fun new_does_not_share_until_share_is_called() {
    let mut scenario = test_scenario::begin(ADMIN);
    let (list, cap) = allowlist::new(b"team".to_string(), scenario.ctx());
    // Still a value in this transaction: readable, not yet shared.
    assert_eq!(list.member_count(), 1);
    assert_eq!(list.name(), b"team".to_string());
    list.share();
    transfer::public_transfer(cap, ADMIN);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun share_at_newer_version_fails() {
    let mut scenario = test_scenario::begin(ADMIN);
    let (mut list, _cap) = allowlist::new(b"team".to_string(), scenario.ctx());
    list.set_version_for_testing(newer_version());
    list.share();
    abort
}

#[test]
fun create_shares_list_with_creator_as_only_member() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = create_shared(b"team".to_string(), scenario.ctx());
    let id = cap.allowlist_id();
    transfer::public_transfer(cap, ADMIN);
    let effects = scenario.next_tx(ADMIN);
    assert_eq!(effects.shared(), vector[id]);

    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert!(list.is_member(ADMIN));
    assert!(!list.is_member(ALICE));
    assert_eq!(list.member_count(), 1);
    assert_eq!(list.name(), b"team".to_string());
    assert_eq!(list.version(), allowlist::current_version_for_testing());
    assert_eq!(list.version(), 1);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test]
fun create_emits_created_and_creator_added_events() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap = create_shared(b"team".to_string(), scenario.ctx());
    let id = cap.allowlist_id();

    let created = event::events_by_type<allowlist::AllowlistCreated>();
    assert_eq!(
        created,
        vector[allowlist::allowlist_created_for_testing(id, b"team".to_string(), ADMIN)],
    );
    let added = event::events_by_type<allowlist::MemberAdded>();
    assert_eq!(added, vector[allowlist::member_added_for_testing(id, ADMIN, ADMIN)]);

    transfer::public_transfer(cap, ADMIN);
    let effects = scenario.next_tx(ADMIN);
    assert_eq!(effects.num_user_events(), 2);
    scenario.end();
}

#[test]
fun create_and_keep_sends_cap_for_the_new_list_to_sender() {
    let mut scenario = test_scenario::begin(ALICE);
    allowlist::create_and_keep(b"mine".to_string(), scenario.ctx());
    let effects = scenario.next_tx(ALICE);
    let shared = effects.shared();
    assert_eq!(shared.length(), 1);

    let cap = scenario.take_from_sender<AllowlistCap>();
    assert_eq!(cap.allowlist_id(), shared[0]);
    let list = scenario.take_shared_by_id<Allowlist>(shared[0]);
    assert!(list.is_member(ALICE));
    assert_eq!(list.name(), b"mine".to_string());
    test_scenario::return_shared(list);
    scenario.return_to_sender(cap);
    scenario.end();
}

#[test]
fun namespace_is_the_32_object_id_bytes() {
    let (mut scenario, id) = setup();
    let list = scenario.take_shared_by_id<Allowlist>(id);
    let namespace = list.namespace();
    assert_eq!(namespace.length(), 32);
    assert_eq!(namespace, id.to_bytes());
    assert_eq!(namespace, object::id(&list).to_bytes());
    test_scenario::return_shared(list);
    scenario.end();
}

// === add ===

#[test]
fun add_makes_address_a_member_and_counts_it() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert!(list.is_member(ALICE));
    assert!(!list.is_member(BOB));
    assert_eq!(list.member_count(), 2);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test]
fun add_emits_member_added_with_actor() {
    let (mut scenario, id) = setup();
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    list.add(&cap, ALICE, scenario.ctx());
    assert_eq!(
        event::events_by_type<allowlist::MemberAdded>(),
        vector[allowlist::member_added_for_testing(id, ALICE, ADMIN)],
    );
    scenario.return_to_sender(cap);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test]
fun add_after_remove_restores_membership() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    remove_member(&mut scenario, id, ALICE);
    add_member(&mut scenario, id, ALICE);
    scenario.next_tx(ALICE);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert!(list.is_member(ALICE));
    assert_eq!(list.member_count(), 2);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::EDuplicateMember)]
fun add_existing_member_fails() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    add_member(&mut scenario, id, ALICE);
    abort
}

#[test, expected_failure(abort_code = allowlist::EDuplicateMember)]
fun add_creator_again_fails() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ADMIN);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongCap)]
fun add_with_cap_of_another_list_fails() {
    let (mut scenario, id) = setup();
    // BOB creates a second list and uses its cap on ADMIN's list.
    scenario.next_tx(BOB);
    let other_cap = create_shared(b"other".to_string(), scenario.ctx());
    scenario.next_tx(BOB);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    list.add(&other_cap, BOB, scenario.ctx());
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun add_at_old_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    add_member(&mut scenario, id, ALICE);
    abort
}

// === remove ===

#[test]
fun remove_revokes_membership_and_counts_it() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    add_member(&mut scenario, id, BOB);
    remove_member(&mut scenario, id, ALICE);
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert!(!list.is_member(ALICE));
    assert!(list.is_member(BOB));
    assert_eq!(list.member_count(), 2);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test]
fun remove_emits_member_removed_with_actor() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    list.remove(&cap, ALICE, scenario.ctx());
    assert_eq!(
        event::events_by_type<allowlist::MemberRemoved>(),
        vector[allowlist::member_removed_for_testing(id, ALICE, ADMIN)],
    );
    scenario.return_to_sender(cap);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test]
fun remove_creator_is_allowed() {
    let (mut scenario, id) = setup();
    remove_member(&mut scenario, id, ADMIN);
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert!(!list.is_member(ADMIN));
    assert_eq!(list.member_count(), 0);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::ENotMember)]
fun remove_non_member_fails() {
    let (mut scenario, id) = setup();
    remove_member(&mut scenario, id, ALICE);
    abort
}

#[test, expected_failure(abort_code = allowlist::ENotMember)]
fun remove_twice_fails() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    remove_member(&mut scenario, id, ALICE);
    remove_member(&mut scenario, id, ALICE);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongCap)]
fun remove_with_cap_of_another_list_fails() {
    let (mut scenario, id) = setup();
    scenario.next_tx(BOB);
    let other_cap = create_shared(b"other".to_string(), scenario.ctx());
    scenario.next_tx(BOB);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    list.remove(&other_cap, ADMIN, scenario.ctx());
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun remove_at_old_version_fails() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    set_version(&mut scenario, id, 0);
    remove_member(&mut scenario, id, ALICE);
    abort
}

// === seal_approve ===

#[test]
fun seal_approve_allows_creator() {
    let (mut scenario, id) = setup();
    approve_as(&mut scenario, id, ADMIN, key_id(id, NONCE));
    scenario.end();
}

#[test]
fun seal_approve_allows_added_member() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    approve_as(&mut scenario, id, ALICE, key_id(id, NONCE));
    scenario.end();
}

#[test]
fun seal_approve_allows_bare_namespace() {
    let (mut scenario, id) = setup();
    approve_as(&mut scenario, id, ADMIN, id.to_bytes());
    scenario.end();
}

// seal_approve takes only immutable references (it cannot create objects or write state), so an
// event is the only side effect it could have; check there is none and the list is unchanged.
#[test]
fun seal_approve_has_no_side_effects() {
    let (mut scenario, id) = setup();
    approve_as(&mut scenario, id, ADMIN, key_id(id, NONCE));
    let effects = scenario.next_tx(ADMIN);
    assert_eq!(effects.num_user_events(), 0);
    assert_eq!(effects.created().length(), 0);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert_eq!(list.member_count(), 1);
    assert!(list.is_member(ADMIN));
    assert_eq!(list.version(), 1);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun seal_approve_denies_non_member() {
    let (mut scenario, id) = setup();
    approve_as(&mut scenario, id, ALICE, key_id(id, NONCE));
    abort
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun seal_approve_denies_removed_member() {
    let (mut scenario, id) = setup();
    add_member(&mut scenario, id, ALICE);
    approve_as(&mut scenario, id, ALICE, key_id(id, NONCE));
    remove_member(&mut scenario, id, ALICE);
    approve_as(&mut scenario, id, ALICE, key_id(id, NONCE));
    abort
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun seal_approve_denies_id_in_another_namespace() {
    let (mut scenario, id) = setup();
    // ADMIN also creates a second list; a key id of that list must not pass the first one.
    scenario.next_tx(ADMIN);
    let other_cap = create_shared(b"other".to_string(), scenario.ctx());
    let other_id = other_cap.allowlist_id();
    transfer::public_transfer(other_cap, ADMIN);
    approve_as(&mut scenario, other_id, ADMIN, key_id(other_id, NONCE));
    approve_as(&mut scenario, id, ADMIN, key_id(other_id, NONCE));
    abort
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun seal_approve_denies_id_shorter_than_namespace() {
    let (mut scenario, id) = setup();
    let mut short = id.to_bytes();
    short.pop_back();
    assert_eq!(short.length(), 31);
    approve_as(&mut scenario, id, ADMIN, short);
    abort
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun seal_approve_denies_empty_id() {
    let (mut scenario, id) = setup();
    approve_as(&mut scenario, id, ADMIN, vector[]);
    abort
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun seal_approve_denies_namespace_after_other_bytes() {
    let (mut scenario, id) = setup();
    approve_as(&mut scenario, id, ADMIN, identity::inner_id(NONCE, id.to_bytes()));
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun seal_approve_at_old_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    approve_as(&mut scenario, id, ADMIN, key_id(id, NONCE));
    abort
}

// === 1,000 members ===

#[test]
fun thousand_members_approve_members_and_reject_others() {
    let (mut scenario, id) = setup();
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    // ADMIN is member 1; add 999 more.
    999u64.do!(|i| list.add(&cap, member_address(i), scenario.ctx()));
    assert_eq!(list.member_count(), 1000);
    assert!(list.is_member(member_address(0)));
    assert!(list.is_member(member_address(998)));
    assert!(!list.is_member(member_address(999)));
    assert!(!list.is_member(ALICE));
    scenario.return_to_sender(cap);
    test_scenario::return_shared(list);

    approve_as(&mut scenario, id, member_address(0), key_id(id, NONCE));
    approve_as(&mut scenario, id, member_address(500), key_id(id, NONCE));
    approve_as(&mut scenario, id, member_address(998), key_id(id, b""));
    approve_as(&mut scenario, id, ADMIN, key_id(id, NONCE));
    remove_member(&mut scenario, id, member_address(500));
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert!(!list.is_member(member_address(500)));
    assert_eq!(list.member_count(), 999);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::ENoAccess)]
fun thousand_members_deny_non_member() {
    let (mut scenario, id) = setup();
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    999u64.do!(|i| list.add(&cap, member_address(i), scenario.ctx()));
    assert_eq!(list.member_count(), 1000);
    scenario.return_to_sender(cap);
    test_scenario::return_shared(list);
    approve_as(&mut scenario, id, member_address(999), key_id(id, NONCE));
    abort
}

// === Versioning: getters and migrate ===

#[test]
fun version_getter_reports_old_version_without_aborting() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert_eq!(list.version(), 0);
    test_scenario::return_shared(list);
    scenario.end();
}

#[test]
fun migrate_moves_old_list_to_current_version_and_restores_access() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    list.migrate(&cap);
    assert_eq!(list.version(), allowlist::current_version_for_testing());
    assert!(list.is_member(ADMIN));
    scenario.return_to_sender(cap);
    test_scenario::return_shared(list);
    approve_as(&mut scenario, id, ADMIN, key_id(id, NONCE));
    scenario.end();
}

#[test, expected_failure(abort_code = allowlist::EAlreadyMigrated)]
fun migrate_current_list_fails() {
    let (mut scenario, id) = setup();
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    list.migrate(&cap);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun migrate_list_from_newer_package_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 2);
    scenario.next_tx(ADMIN);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    let cap = scenario.take_from_sender<AllowlistCap>();
    list.migrate(&cap);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongCap)]
fun migrate_with_cap_of_another_list_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    scenario.next_tx(BOB);
    let other_cap = create_shared(b"other".to_string(), scenario.ctx());
    scenario.next_tx(BOB);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    list.migrate(&other_cap);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun is_member_at_old_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    list.is_member(ADMIN);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun namespace_at_old_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    list.namespace();
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun member_count_at_old_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    list.member_count();
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun name_at_old_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    list.name();
    abort
}

#[test]
fun cap_names_the_list_it_administers() {
    let mut scenario = test_scenario::begin(ADMIN);
    let cap_a = create_shared(b"a".to_string(), scenario.ctx());
    let cap_b = create_shared(b"b".to_string(), scenario.ctx());
    let (id_a, id_b) = (cap_a.allowlist_id(), cap_b.allowlist_id());
    assert!(id_a != id_b);
    transfer::public_transfer(cap_a, ADMIN);
    transfer::public_transfer(cap_b, ADMIN);
    scenario.next_tx(ADMIN);
    let list_a = scenario.take_shared_by_id<Allowlist>(id_a);
    let list_b = scenario.take_shared_by_id<Allowlist>(id_b);
    assert_eq!(list_a.name(), b"a".to_string());
    assert_eq!(list_b.name(), b"b".to_string());
    test_scenario::return_shared(list_a);
    test_scenario::return_shared(list_b);
    scenario.end();
}

// === An allowlist migrated by a newer package is refused by this one ===
// A newer package writes a version above VERSION; this (older) package must serve none of it,
// so a stale package can never approve a list whose policy an upgrade changed.

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun seal_approve_at_newer_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    approve_as(&mut scenario, id, ADMIN, key_id(id, NONCE));
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun add_at_newer_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    add_member(&mut scenario, id, ALICE);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun remove_at_newer_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    remove_member(&mut scenario, id, ADMIN);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun is_member_at_newer_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    list.is_member(ADMIN);
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun namespace_at_newer_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    list.namespace();
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun member_count_at_newer_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    list.member_count();
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun name_at_newer_version_fails() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    list.name();
    abort
}

#[test]
fun version_getter_reports_newer_version_without_aborting() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    scenario.next_tx(ADMIN);
    let list = scenario.take_shared_by_id<Allowlist>(id);
    assert_eq!(list.version(), newer_version());
    test_scenario::return_shared(list);
    scenario.end();
}

// === Both the version and the cap are wrong: which error wins ===
// add/remove check the version first (EWrongVersion); migrate checks the cap first (EWrongCap),
// so a stranger learns nothing about a list's version through migrate.

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun add_with_wrong_version_and_wrong_cap_fails_with_wrong_version() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, 0);
    let cap = other_cap(&mut scenario);
    scenario.next_tx(BOB);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    list.add(&cap, BOB, scenario.ctx());
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongVersion)]
fun remove_with_wrong_version_and_wrong_cap_fails_with_wrong_version() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    let cap = other_cap(&mut scenario);
    scenario.next_tx(BOB);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    list.remove(&cap, ADMIN, scenario.ctx());
    abort
}

#[test, expected_failure(abort_code = allowlist::EWrongCap)]
fun migrate_with_newer_version_and_wrong_cap_fails_with_wrong_cap() {
    let (mut scenario, id) = setup();
    set_version(&mut scenario, id, newer_version());
    let cap = other_cap(&mut scenario);
    scenario.next_tx(BOB);
    let mut list = scenario.take_shared_by_id<Allowlist>(id);
    list.migrate(&cap);
    abort
}
