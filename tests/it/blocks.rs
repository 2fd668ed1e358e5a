//! Long runs of events read a block at a time on two threads give what a
//! reading in order gives: a fold's reading (`Store::fold_from`) the same
//! events and the same first error, and `verify`'s (`store::scan`) the
//! same report, whichever block the damage is in.

use std::sync::Arc;

use planledger::chain::GENESIS_PREV;
use planledger::event::Hash;
use planledger::ledger::Ledger;
use planledger::store::{FOLD_BLOCK, Folded, Readers, SCAN_BLOCK, Store, StoredEvent};
use planledger::time::FixedClock;

use crate::support::{
    Held, add_action, add_plan, note, put_value, record, start_time, stored_value, tamper_trees,
    verify_dir,
};

/// A ledger of a plan, an action and milestone notes: a little more than
/// three blocks of events.
fn ledger_of_blocks(dir: &std::path::Path) -> u64 {
    let clock = Arc::new(FixedClock::new(start_time()));
    // Held: closed, with sled's lock let go, before the test tampers.
    let mut ledger = Held::new(
        Ledger::init(dir, "Admin", clock.clone()).expect("init"),
        dir.join("sled"),
    );
    record(
        &mut ledger,
        &clock,
        vec![add_plan(), add_action(1, "Police")],
    );
    for batch in 0..7 {
        let notes = (0..FOLD_BLOCK / 2)
            .map(|i| note(1, &format!("note {batch}-{i}")))
            .collect();
        record(&mut ledger, &clock, notes);
    }
    ledger.state().head.expect("a head").0
}

/// What `fold_from` gives: the events, or the error it stopped at.
fn folded(store: &Store, first: u64, prev: Hash, last: u64) -> (Vec<Folded>, Option<String>) {
    let mut events = Vec::new();
    let stopped = store
        .fold_from(first, prev, last, Readers::TwoThreads, |e| events.push(e))
        .err();
    (events, stopped.map(|e| e.to_string()))
}

/// What a reading in order gives for the same range.
fn in_order(
    store: &Store,
    first: u64,
    prev: Hash,
    last: u64,
) -> (Vec<StoredEvent>, Option<String>) {
    let mut events = Vec::new();
    for event in store.events_from(first, prev) {
        match event {
            Ok(e) if e.seq > last => break,
            Ok(e) => events.push(e),
            Err(e) => return (events, Some(e.to_string())),
        }
    }
    (events, None)
}

fn assert_same(store: &Store, first: u64, prev: Hash, last: u64) {
    let (folded, folded_error) = folded(store, first, prev, last);
    let (read, read_error) = in_order(store, first, prev, last);
    assert_eq!(folded_error, read_error, "{first}..={last}");
    assert_eq!(folded.len(), read.len(), "{first}..={last}");
    for (f, r) in folded.iter().zip(&read) {
        assert_eq!((f.seq, f.hash, f.len), (r.seq, r.hash, r.bytes.len()));
        assert_eq!(f.record, r.record, "event {}", r.seq);
    }
}

#[test]
fn a_long_fold_reads_every_event_in_order_from_any_point() {
    let dir = tempfile::tempdir().expect("tempdir");
    let head = ledger_of_blocks(dir.path());
    assert!(head > 3 * FOLD_BLOCK, "{head} events");
    let store = Store::open(dir.path()).expect("open");
    let hash_at = |seq: u64| store.event_at(seq).expect("read").expect("stored").0;
    for last in [
        0,
        2 * FOLD_BLOCK,
        2 * FOLD_BLOCK + 1,
        3 * FOLD_BLOCK - 1,
        3 * FOLD_BLOCK,
        head - 1,
        head,
        // Past the head: the events end there.
        head + FOLD_BLOCK,
    ] {
        assert_same(&store, 0, GENESIS_PREV, last);
    }
    for first in [1, 5, FOLD_BLOCK, FOLD_BLOCK + 3] {
        assert_same(&store, first, hash_at(first - 1), head);
    }
    let (events, error) = folded(&store, 0, GENESIS_PREV, head);
    assert_eq!(error, None);
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (0..=head).collect::<Vec<_>>()
    );
}

#[test]
fn a_long_fold_stops_at_the_first_damage_whichever_thread_reads_it() {
    // Damage in a block the second thread reads (odd), in one the calling
    // thread reads (even), in both, and an event gone.
    let damages: [&[u64]; 5] = [
        &[FOLD_BLOCK + 7],
        &[2 * FOLD_BLOCK + 1],
        &[FOLD_BLOCK + 7, 2 * FOLD_BLOCK + 1],
        &[2 * FOLD_BLOCK + 1, 3 * FOLD_BLOCK + 2],
        &[FOLD_BLOCK - 1],
    ];
    for damaged in damages {
        let dir = tempfile::tempdir().expect("tempdir");
        let head = ledger_of_blocks(dir.path());
        tamper_trees(dir.path(), |trees| {
            for &seq in damaged {
                let mut value = stored_value(&trees.events, seq);
                let last = value.len() - 1;
                value[last] ^= 1;
                put_value(&trees.events, seq, &value);
            }
        });
        let store = Store::open(dir.path()).expect("open");
        let (events, error) = folded(&store, 0, GENESIS_PREV, head);
        assert!(error.is_some(), "{damaged:?}");
        assert_eq!(events.len() as u64, damaged[0], "{damaged:?}");
        assert_same(&store, 0, GENESIS_PREV, head);
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let head = ledger_of_blocks(dir.path());
    tamper_trees(dir.path(), |trees| {
        trees
            .events
            .remove((3 * FOLD_BLOCK).to_be_bytes())
            .expect("sled removes");
    });
    let store = Store::open(dir.path()).expect("open");
    let (events, error) = folded(&store, 0, GENESIS_PREV, head);
    assert_eq!(events.len() as u64, 3 * FOLD_BLOCK);
    assert!(error.is_some_and(|e| e.contains(&(3 * FOLD_BLOCK).to_string())));
    assert_same(&store, 0, GENESIS_PREV, head);
}

/// `verify` of a ledger of several scan blocks, damaged by `damage`: the
/// report (which `verify_dir` checks is the same read on the calling thread
/// alone and on two threads of their own) and the kinds it names.
fn verify_damaged(damage: impl FnOnce(&crate::support::Trees)) -> Vec<(u64, &'static str)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let head = ledger_of_blocks(dir.path());
    assert!(head > 3 * SCAN_BLOCK, "{head} events");
    tamper_trees(dir.path(), damage);
    let report = verify_dir(dir.path());
    if report.ok() {
        assert_eq!(report.events, head + 1, "every event read");
        assert_eq!(report.head.map(|(seq, _)| seq), Some(head));
    }
    report
        .problems
        .iter()
        .map(|p| (p.seq, p.kind.name()))
        .collect()
}

#[test]
fn verify_reads_every_block_and_names_damage_in_any_of_them() {
    assert_eq!(verify_damaged(|_| {}), vec![]);

    // A changed value in a block each thread reads.
    let found = verify_damaged(|trees| {
        for seq in [SCAN_BLOCK + 3, 2 * SCAN_BLOCK + 5] {
            let mut value = stored_value(&trees.events, seq);
            let last = value.len() - 1;
            value[last] ^= 1;
            put_value(&trees.events, seq, &value);
        }
    });
    let seqs: Vec<u64> = found.iter().map(|(seq, _)| *seq).collect();
    assert!(
        seqs.contains(&(SCAN_BLOCK + 3)) && seqs.contains(&(2 * SCAN_BLOCK + 5)),
        "{found:?}"
    );

    // An event gone at the first key of a block, and the texts of one in
    // the last block.
    let found = verify_damaged(|trees| {
        trees
            .events
            .raw()
            .remove((2 * SCAN_BLOCK).to_be_bytes())
            .expect("sled removes");
        trees
            .events
            .set_texts((3 * SCAN_BLOCK + 9).to_be_bytes(), None);
    });
    assert!(
        found.contains(&(2 * SCAN_BLOCK, "events_missing")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(seq, _)| *seq == 3 * SCAN_BLOCK + 9),
        "{found:?}"
    );

    // A key that is no sequence number between two blocks' keys; a block
    // out of place, and one whose framing is cut short.
    let found = verify_damaged(|trees| {
        let odd = &(SCAN_BLOCK * 2).to_be_bytes()[..7];
        let events = trees.events.raw();
        events.insert(odd, b"x".to_vec()).expect("sled inserts");
        let cut = events
            .get(SCAN_BLOCK.to_be_bytes())
            .expect("sled reads")
            .expect("a block");
        events
            .insert(SCAN_BLOCK.to_be_bytes(), &cut[..cut.len() - 1])
            .expect("sled inserts");
        events
            .insert((u64::MAX - 1).to_be_bytes(), cut)
            .expect("sled inserts");
    });
    assert_eq!(
        found
            .iter()
            .filter(|(_, kind)| *kind == "key_length")
            .count(),
        1,
        "{found:?}"
    );
    assert!(
        found.contains(&(SCAN_BLOCK + 15, "block")),
        "the last event of the cut block: {found:?}"
    );
    assert!(
        found.contains(&(u64::MAX - 1, "block")),
        "the block out of place: {found:?}"
    );
}

#[test]
fn verify_of_keys_far_past_the_head_ends_and_names_them() {
    // Keys of events and texts far past the head (the last block would be
    // a number of blocks no reading could walk through one at a time).
    for far in [u64::MAX - 15, u64::MAX / 2 - 15, 40 * SCAN_BLOCK] {
        let dir = tempfile::tempdir().expect("tempdir");
        let head = ledger_of_blocks(dir.path());
        tamper_trees(dir.path(), |trees| {
            let value = stored_value(&trees.events, head);
            put_value(&trees.events, far, &value);
            // The head's own texts, so that the far event opens as the
            // head does, and is handed to the replay.
            let texts = trees.events.texts(head.to_be_bytes());
            trees.events.set_texts(far.to_be_bytes(), texts);
        });
        let report = verify_dir(dir.path());
        let found: Vec<(u64, &str)> = report
            .problems
            .iter()
            .map(|p| (p.seq, p.kind.name()))
            .collect();
        assert!(
            found.contains(&(head + 1, "events_missing")),
            "{far}: {found:?}"
        );
        assert_eq!(report.events, head + 2, "{far}: every key read");
    }
}
