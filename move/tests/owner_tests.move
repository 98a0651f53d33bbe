#[test_only]
module seal_policies::owner_tests;

use seal_policies::owner;
use std::unit_test::assert_eq;
use sui::test_scenario;

const ALICE: address = @0xa11ce;
const BOB: address = @0xb0b;

/// As `sender`, calls `owner::seal_approve(id)`.
fun approve_as(sender: address, id: vector<u8>) {
    let mut scenario = test_scenario::begin(sender);
    owner::seal_approve(id, scenario.ctx());
    scenario.end();
}

// === id_for (shared vectors V1, V2 with the TypeScript identity helpers) ===

#[test]
fun id_for_matches_vector_v1() {
    assert_eq!(
        owner::id_for(@0xa11ce, x"0102030405"),
        x"00000000000000000000000000000000000000000000000000000000000a11ce0102030405",
    );
}

#[test]
fun id_for_matches_vector_v2_empty_nonce() {
    assert_eq!(
        owner::id_for(@0xb0b, x""),
        x"0000000000000000000000000000000000000000000000000000000000000b0b",
    );
}

#[test]
fun id_for_is_owner_bytes_then_nonce() {
    let id = owner::id_for(ALICE, b"n");
    assert_eq!(id.length(), 33);
    let mut expected = ALICE.to_bytes();
    expected.push_back(110);
    assert_eq!(id, expected);
}

// === seal_approve ===

#[test]
fun seal_approve_allows_owner_with_nonce() {
    approve_as(ALICE, owner::id_for(ALICE, x"0102030405"));
}

#[test]
fun seal_approve_allows_owner_without_nonce() {
    approve_as(ALICE, owner::id_for(ALICE, vector[]));
}

#[test]
fun seal_approve_allows_long_nonce() {
    let mut nonce = vector[];
    1000u64.do!(|i| nonce.push_back((i % 256) as u8));
    approve_as(BOB, owner::id_for(BOB, nonce));
}

#[test, expected_failure(abort_code = owner::ENoAccess)]
fun seal_approve_denies_another_address() {
    approve_as(BOB, owner::id_for(ALICE, x"0102030405"));
}

#[test, expected_failure(abort_code = owner::ENoAccess)]
fun seal_approve_denies_prefix_of_owner_bytes() {
    // The first 16 bytes of ALICE's address, all zero: a prefix of ALICE's bytes, not her id.
    let mut id = ALICE.to_bytes();
    while (id.length() > 16) { id.pop_back(); };
    approve_as(ALICE, id);
}

#[test, expected_failure(abort_code = owner::ENoAccess)]
fun seal_approve_denies_31_byte_id() {
    let mut id = ALICE.to_bytes();
    id.pop_back();
    assert_eq!(id.length(), 31);
    approve_as(ALICE, id);
}

#[test, expected_failure(abort_code = owner::ENoAccess)]
fun seal_approve_denies_empty_id() {
    approve_as(ALICE, vector[]);
}

#[test, expected_failure(abort_code = owner::ENoAccess)]
fun seal_approve_denies_owner_bytes_after_a_nonce() {
    let mut id = x"01";
    id.append(ALICE.to_bytes());
    approve_as(ALICE, id);
}
