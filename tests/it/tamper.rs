//! Tampering with the stored bytes, the way someone rewriting the record
//! behind the ledger's back would: each test changes the sled trees
//! directly, then checks that `verify` (the library call and the
//! `planledger verify` command) fails and names the first sequence number
//! that is wrong. The last test flips and truncates bytes at random and
//! checks that `verify` never panics and never passes damaged data.

use std::panic::{AssertUnwindSafe, catch_unwind};

use planledger::chain::{self, Subject, event_hash, record_digest};
use planledger::codec;
use planledger::codec::CodecError;
use planledger::event::{Event, Hash, TxRecord};
use planledger::id::ActionId;
use planledger::integrity::{verify, verify_on_this_thread};
use planledger::store::chain_check::ProblemKind;

use crate::support::{
    BLOCK, Rng, TempLedger, Trees, cli_verify, note, open_store, put_value, record, record_at,
    reseal, small_plan, stored_value, tamper, tamper_trees,
};

/// An event in the middle of the small plan (a milestone note on A1).
const MIDDLE: u64 = 5;

/// A closed ledger holding the small plan, and its number of events.
fn closed_small_plan() -> (TempLedger, u64) {
    let (tl, mut ledger) = TempLedger::new();
    let count = small_plan(&mut ledger, &tl.clock);
    drop(ledger);
    (tl, count)
}

/// Asserts that the library's `verify` and the command both fail and both
/// name `seq` as the first bad sequence number.
fn assert_first_bad(tl: &TempLedger, seq: u64) {
    let report = tl.verify();
    assert!(!report.ok(), "verify passed a tampered ledger: {report:?}");
    assert_eq!(
        report.first_bad_seq(),
        Some(seq),
        "wrong first bad seq; problems: {:?}",
        report.problems
    );
    let run = cli_verify(&tl.dir());
    assert_eq!(
        run.code, 3,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout
            .contains(&format!("first bad sequence number is {seq}")),
        "planledger verify did not name seq {seq}:\n{}",
        run.stdout
    );
}

fn hash_of(value: &[u8]) -> Hash {
    value[..32]
        .try_into()
        .expect("a stored value starts with a hash")
}

#[test]
fn pristine_ledger_verifies_ok_and_exits_0() {
    let (tl, count) = closed_small_plan();
    let report = tl.verify();
    assert!(report.ok(), "problems: {:?}", report.problems);
    assert_eq!(report.events, count);
    assert_eq!(report.first_bad_seq(), None);
    let run = cli_verify(&tl.dir());
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("OK: the ledger is intact"),
        "{}",
        run.stdout
    );
}

#[test]
fn one_changed_record_byte_is_named_at_its_seq() {
    let (tl, _) = closed_small_plan();
    tamper(&tl.dir(), |events, _| {
        let mut value = stored_value(events, MIDDLE);
        let last = value.len() - 1;
        value[last] ^= 0x01;
        put_value(events, MIDDLE, &value);
    });
    assert_first_bad(&tl, MIDDLE);
}

#[test]
fn one_changed_hash_byte_is_named_at_its_seq() {
    let (tl, _) = closed_small_plan();
    tamper(&tl.dir(), |events, _| {
        let mut value = stored_value(events, MIDDLE);
        value[7] ^= 0x80;
        put_value(events, MIDDLE, &value);
    });
    assert_first_bad(&tl, MIDDLE);
}

#[test]
fn a_deleted_middle_event_is_named_at_its_seq() {
    // Taken out of its block, the events after it in the block move down
    // a seq, and each hashes as the seq it was written at.
    let (tl, _) = closed_small_plan();
    tamper(&tl.dir(), |events, _| {
        events.remove(MIDDLE.to_be_bytes()).expect("sled removes");
    });
    assert_first_bad(&tl, MIDDLE);
    let report = tl.verify();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.seq == MIDDLE && matches!(p.kind, ProblemKind::HashMismatch { .. })),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_deleted_block_is_named_as_the_events_it_held() {
    let (tl, _) = closed_small_plan();
    let mut ledger = tl.open();
    let notes = (0..2 * BLOCK).map(|i| note(1, &format!("Session {i} held")));
    record(&mut ledger, &tl.clock, notes.collect());
    let count = ledger.next_seq();
    drop(ledger);
    assert!(count > 2 * BLOCK, "{count} events");
    tamper(&tl.dir(), |events, _| {
        events
            .raw()
            .remove(BLOCK.to_be_bytes())
            .expect("sled removes");
    });
    assert_first_bad(&tl, BLOCK);
    let report = tl.verify();
    assert!(
        report.problems.iter().any(|p| p.seq == BLOCK
            && matches!(
                p.kind,
                ProblemKind::EventsMissing {
                    first: BLOCK,
                    last: 31
                }
            )),
        "{:?}",
        report.problems
    );
}

#[test]
fn two_swapped_events_are_named_at_the_first() {
    let (tl, _) = closed_small_plan();
    tamper(&tl.dir(), |events, _| {
        let a = stored_value(events, MIDDLE);
        let b = stored_value(events, MIDDLE + 1);
        put_value(events, MIDDLE, &b);
        put_value(events, MIDDLE + 1, &a);
    });
    assert_first_bad(&tl, MIDDLE);
}

#[test]
fn a_dropped_last_event_is_named_because_the_head_still_names_it() {
    let (tl, count) = closed_small_plan();
    let last = count - 1;
    tamper(&tl.dir(), |events, _| {
        events.remove(last.to_be_bytes()).expect("sled removes");
    });
    assert_first_bad(&tl, last);
}

/// Re-seals the middle event's record with a changed note and re-hashes it
/// onto its predecessor, so the forged event itself links; returns the
/// forged stored value.
fn forge_middle(trees: &Trees) -> Vec<u8> {
    let prev = hash_of(&stored_value(&trees.events, MIDDLE - 1));
    let mut record = record_at(trees, MIDDLE);
    match &mut record.event {
        Event::MilestoneNoted { note, .. } => *note = "Training finished early".into(),
        other => panic!("seq {MIDDLE} is a note in the small plan, not {other:?}"),
    }
    reseal(trees, MIDDLE, &prev, &record)
}

#[test]
fn a_rehashed_forgery_is_caught_at_the_next_link() {
    let (tl, _) = closed_small_plan();
    tamper_trees(&tl.dir(), |trees| {
        let forged = forge_middle(trees);
        let txs = &trees.txs;
        // A careful forger also fixes the transaction index, which records
        // each transaction's head hash: only the chain can give it away.
        let record = record_at(trees, MIDDLE);
        let key = record.tx.to_be_bytes();
        let stored = txs.get(key).expect("sled reads").expect("a tx record");
        let mut tx: TxRecord = codec::decode(&stored).expect("the tx record decodes");
        tx.head_hash = hash_of(&forged);
        txs.insert(key, codec::encode(&tx).expect("encodes"))
            .expect("sled writes");
    });
    let report = tl.verify();
    assert!(
        !report.problems.iter().any(|p| p.seq == MIDDLE),
        "the forged event itself links and decodes: {:?}",
        report.problems
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.seq == MIDDLE + 1 && matches!(p.kind, ProblemKind::HashMismatch { .. })),
        "{:?}",
        report.problems
    );
    assert_first_bad(&tl, MIDDLE + 1);
}

#[test]
fn a_rehashed_forgery_that_leaves_the_tx_index_is_caught_at_its_own_seq() {
    let (tl, _) = closed_small_plan();
    tamper_trees(&tl.dir(), |trees| {
        forge_middle(trees);
    });
    // The transaction record still holds the genuine head hash of the
    // forged event's transaction, so verify names the forgery itself.
    assert_first_bad(&tl, MIDDLE);
    let report = tl.verify();
    assert!(
        report.problems.iter().any(|p| p.seq == MIDDLE + 1),
        "the next link breaks too: {:?}",
        report.problems
    );
}

#[test]
fn a_value_shorter_than_a_hash_is_named_at_its_seq() {
    let (tl, _) = closed_small_plan();
    tamper(&tl.dir(), |events, _| {
        let value = stored_value(events, MIDDLE);
        put_value(events, MIDDLE, &value[..31]);
    });
    assert_first_bad(&tl, MIDDLE);
    let report = tl.verify();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.seq == MIDDLE && matches!(p.kind, ProblemKind::ValueTooShort { len: 31 })),
        "{:?}",
        report.problems
    );
}

#[test]
fn garbage_with_a_correct_hash_is_named_as_undecodable() {
    let (tl, _) = closed_small_plan();
    tamper(&tl.dir(), |events, _| {
        let prev = hash_of(&stored_value(events, MIDDLE - 1));
        let garbage = Rng::new(0x5eed).bytes(97);
        let subject = Subject::LEDGER;
        let hash = event_hash(&prev, MIDDLE, subject, &record_digest(&garbage));
        put_value(
            events,
            MIDDLE,
            &chain::stored_value(&hash, subject, &garbage),
        );
    });
    assert_first_bad(&tl, MIDDLE);
    let report = tl.verify();
    let at_middle: Vec<_> = report.problems.iter().filter(|p| p.seq == MIDDLE).collect();
    assert!(
        at_middle.iter().any(|p| matches!(
            p.kind,
            ProblemKind::Undecodable {
                source: CodecError::Decode { .. }
            }
        )),
        "{:?}",
        report.problems
    );
    assert!(
        !at_middle
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::HashMismatch { .. })),
        "the garbage was hashed correctly: {:?}",
        report.problems
    );
}

#[test]
fn verify_never_panics_and_never_passes_random_damage() {
    let (tl, count) = closed_small_plan();
    let pristine = tl.tmp.path().join("pristine");
    copy_dir(&tl.dir(), &pristine);
    let mut rng = Rng::from_env_or_time("verify_never_panics");
    for round in 0..60 {
        let dir = tl.tmp.path().join(format!("round{round}"));
        copy_dir(&pristine, &dir);
        let seq = rng.between(0, count - 1);
        let what = tamper_randomly(&dir, seq, &mut rng);
        let store = open_store(&dir);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            (verify(&store), verify_on_this_thread(&store))
        }));
        let report = match outcome {
            Ok((Ok(report), Ok(alone))) => {
                assert_eq!(
                    format!("{alone:?}"),
                    format!("{report:?}"),
                    "round {round}: after {what}, verify on one thread finds the same"
                );
                report
            }
            Ok((Err(e), _) | (_, Err(e))) => {
                panic!("round {round}: verify failed to read after {what}: {e}")
            }
            Err(_) => panic!("round {round}: verify panicked after {what}"),
        };
        assert!(!report.ok(), "round {round}: verify passed after {what}");
        assert_eq!(
            report.first_bad_seq(),
            Some(seq),
            "round {round}: after {what}: {:?}",
            report.problems
        );
        drop(store);
        std::fs::remove_dir_all(&dir).expect("the round's copy is removed");
    }
}

/// Flips bytes in, or truncates, the stored value at `seq`; says what it did.
fn tamper_randomly(dir: &std::path::Path, seq: u64, rng: &mut Rng) -> String {
    let mut what = String::new();
    tamper(dir, |events, _| {
        let original = stored_value(events, seq);
        let mut value = original.clone();
        match rng.between(0, 2) {
            0 => {
                let i = rng.between(0, value.len() as u64 - 1) as usize;
                let bit = 1u8 << rng.between(0, 7);
                value[i] ^= bit;
                what = format!("flipping bit {bit:#04x} of byte {i} of seq {seq}");
            }
            1 => {
                let flips = rng.between(2, 8);
                for _ in 0..flips {
                    let i = rng.between(0, value.len() as u64 - 1) as usize;
                    value[i] = value[i].wrapping_add(rng.between(1, 255) as u8);
                }
                if value == original {
                    // Two changes to one byte cancelled out.
                    value[0] ^= 1;
                }
                what = format!("changing {flips} bytes of seq {seq}");
            }
            _ => {
                let len = rng.between(0, value.len() as u64 - 1) as usize;
                value.truncate(len);
                what = format!("truncating seq {seq} to {len} bytes");
            }
        }
        put_value(events, seq, &value);
    });
    what
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("a directory is created");
    for entry in std::fs::read_dir(from).expect("the directory reads") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a file is copied");
        }
    }
}

/// A forger with the storage engine rewrites the last event as an
/// assurance the rules never allowed and fixes every hash, the head and the
/// transaction index: the chain checks out, and the rules catch it.
#[test]
fn a_fully_rehashed_forgery_that_breaks_the_rules_is_named() {
    let (tl, count) = closed_small_plan();
    let last = count - 1;
    tamper_trees(&tl.dir(), |trees| {
        let prev = hash_of(&stored_value(&trees.events, last - 1));
        let mut record = record_at(trees, last);
        record.event = Event::StatusChanged {
            action: ActionId::of(1),
            from: planledger::status::Status::Open,
            to: planledger::status::Status::Assured,
            reason: "signed off".into(),
        };
        let hash = hash_of(&reseal(trees, last, &prev, &record));
        let mut head = trees
            .meta
            .get("head")
            .expect("reads")
            .expect("a head")
            .to_vec();
        head[8..40].copy_from_slice(&hash);
        trees.meta.insert("head", head).expect("writes");
        let key = record.tx.to_be_bytes();
        let mut tx: TxRecord =
            codec::decode(&trees.txs.get(key).expect("reads").expect("a tx")).expect("decodes");
        tx.head_hash = hash;
        trees
            .txs
            .insert(key, codec::encode(&tx).expect("encodes"))
            .expect("writes");
    });

    let chain = tl.check_chain();
    assert!(
        chain.ok(),
        "the bytes, links, head and index all agree: {:?}",
        chain.problems
    );
    let report = tl.verify();
    assert_eq!(report.first_bad_seq(), Some(last), "{:?}", report.problems);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.seq == last && matches!(p.kind, ProblemKind::BrokenRule { .. })),
        "{:?}",
        report.problems
    );
    let run = cli_verify(&tl.dir());
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("first bad sequence number is {last}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("A1 is open; it cannot become assured"),
        "{}",
        run.stdout
    );
}

/// Regression (found in review): a ledger whose format version had been
/// deleted was reported as "no ledger here" (exit 1) instead of damaged.
#[test]
fn a_deleted_format_version_is_damage_named_at_seq_0() {
    let (tl, _) = closed_small_plan();
    let db = sled::open(tl.dir().join("sled")).expect("sled opens");
    db.open_tree("meta")
        .expect("meta")
        .remove("format_version")
        .expect("removes");
    db.flush().expect("flushes");
    drop(db);
    let report = tl.verify();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.seq == 0 && matches!(p.kind, ProblemKind::FormatVersionMissing)),
        "{:?}",
        report.problems
    );
    let run = cli_verify(&tl.dir());
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("first bad sequence number is 0"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("no format version"), "{}", run.stdout);
    let show = crate::support::run(crate::support::planledger(&tl.dir()).arg("show"));
    assert_eq!(show.code, 3, "{}", show.stderr);
    assert!(show.stderr.contains("damaged"), "{}", show.stderr);
}

/// Rollback is invisible to a chain on its own (issue: the store under
/// faults): a ledger cut back to an earlier transaction verifies. `verify`
/// therefore names the head it vouches for, so that it can be written
/// down, and says why.
#[test]
fn verify_names_the_head_it_vouches_for_so_a_rollback_can_be_caught_elsewhere() {
    let (tl, count) = closed_small_plan();
    let before = cli_verify(&tl.dir());
    assert_eq!(before.code, 0, "{}", before.stdout);
    let head = tl.verify().head.expect("a head");
    assert_eq!(head.0, count - 1);
    assert!(
        before.stdout.contains(&format!(
            "OK: the ledger is intact from the genesis to seq {}, head {}",
            head.0,
            hex::encode(head.1)
        )),
        "{}",
        before.stdout
    );
    assert!(
        before.stdout.contains("keep this head"),
        "{}",
        before.stdout
    );
}

#[test]
fn a_key_that_is_no_sequence_number_and_blocks_that_are_no_blocks_are_named() {
    let (tl, count) = closed_small_plan();
    let (empty, misplaced): (u64, u64) = (512, 16 * 1000 + 3);
    tamper_trees(&tl.dir(), |trees| {
        // A key of the wrong length between two blocks, an empty block and
        // a block at a key that is not a multiple of sixteen, past the head.
        let events = trees.events.raw();
        let mut odd = MIDDLE.to_be_bytes().to_vec();
        odd.push(0);
        events.insert(odd, b"x".to_vec()).expect("sled writes");
        events
            .insert(empty.to_be_bytes(), Vec::new())
            .expect("sled writes");
        let block = events
            .get(0u64.to_be_bytes())
            .expect("sled reads")
            .expect("the first block");
        events
            .insert(misplaced.to_be_bytes(), block)
            .expect("sled writes");
    });
    let report = tl.verify();
    let kinds: Vec<(u64, &str)> = report
        .problems
        .iter()
        .map(|p| (p.seq, p.kind.name()))
        .collect();
    assert!(
        kinds.iter().any(|&(_, kind)| kind == "key_length"),
        "the 9-byte key is named: {kinds:?}"
    );
    assert!(
        kinds.contains(&(empty, "block")),
        "the empty block is named: {kinds:?}"
    );
    assert!(
        kinds.contains(&(misplaced, "block")),
        "the block out of place is named: {kinds:?}"
    );
    assert_eq!(
        kinds.len(),
        3,
        "and nothing else: {kinds:?} ({count} events)"
    );
    let run = cli_verify(&tl.dir());
    assert_eq!(run.code, 3, "{}", run.stdout);
}
