//! The action index (`ledger/FORMAT.md` §2, derived data): `history` of one
//! action reads that action's events through it, and says exactly what a
//! fold of the whole history says, whether the index is whole, missing (a
//! ledger written before it existed), behind, of the version before its
//! chunks, or spread over several chunks of one action; `verify` names an
//! index that is wrong, each malformed chunk included, and `planledger
//! snapshot --rebuild` writes it afresh.

use std::path::Path;

use planledger::id::{ActionId, Id};
use planledger::store::chain_check::ProblemKind;
use planledger::store::{ACTION_INDEX_CHUNK, IndexFault};

use crate::support::{
    CliLedger, Held, Run, TempLedger, assert_histories_match_the_full_fold, note, open_store,
    record, small_plan, verify_dir,
};

const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ledger/plans/west-oxfordshire-dhr-alice-action-plan.txt"
);

/// The shipped plan imported, then two months of work on it: notes,
/// a claim and its acceptance, a status change, an amendment, and a
/// redacted note.
fn fixture() -> CliLedger {
    let fx = CliLedger::new();
    fx.ok_at("2021-11-30T09:00:00Z", &["init"]);
    fx.ok_at("2021-12-01T10:00:00Z", &["import", PLAN]);
    fx.ok_at("2022-01-05T09:00:00Z", &["note", "A1", "Training booked"]);
    fx.ok_at(
        "2022-01-06T09:00:00Z",
        &["claim", "A21", "--outcome", "Guidance incorporated"],
    );
    fx.ok_at(
        "2022-01-07T09:00:00Z",
        &["accept", "A21", "--finding", "Read the new guidance"],
    );
    fx.ok_at(
        "2022-01-08T09:00:00Z",
        &["status", "A23", "in-progress", "--reason", "Started"],
    );
    fx.ok_at(
        "2022-01-09T09:00:00Z",
        &[
            "action", "amend", "A2", "--lead", "New lead", "--reason", "Handover",
        ],
    );
    let noted = fx.ok_at(
        "2022-01-10T09:00:00Z",
        &["note", "A1", "Spoke to Jane Example at home"],
    );
    let seq: u64 = noted
        .stdout
        .split_once("recorded seq ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|seq| seq.parse().ok())
        .expect("the note's receipt names its seq");
    fx.ok_at(
        "2022-02-01T09:00:00Z",
        &["redact", &seq.to_string(), "--reason", "A relative's name"],
    );
    fx
}

/// What the tests ask of the fixture.
trait Worked {
    fn ok(&self, args: &[&str]) -> Run;
    fn histories(&self) -> Vec<String>;
    fn tamper_index(&self, change: impl FnOnce(&sled::Db, &sled::Tree));
}

impl Worked for CliLedger {
    fn ok(&self, args: &[&str]) -> Run {
        self.ok_at("2022-03-01T09:00:00Z", args)
    }

    /// What `history` prints of each of the first actions, as text and JSON.
    fn histories(&self) -> Vec<String> {
        ["A1", "A2", "A21", "A23", "A26"]
            .iter()
            .flat_map(|a| {
                [
                    self.ok(&["history", a]).stdout,
                    self.ok(&["history", a, "--json"]).stdout,
                    self.ok(&["history", a, "--as-of", "2022-01-07"]).stdout,
                ]
            })
            .collect()
    }

    fn tamper_index(&self, change: impl FnOnce(&sled::Db, &sled::Tree)) {
        tamper_index(&self.dir(), change);
    }
}

/// Opens the sled files of the ledger at `dir` directly (the ledger must be
/// closed) and lets `change` edit the action index.
fn tamper_index(dir: &Path, change: impl FnOnce(&sled::Db, &sled::Tree)) {
    let sled_dir = dir.join("sled");
    let db = Held::new(sled::open(&sled_dir).expect("sled opens"), sled_dir);
    let index = db.open_tree("actions").expect("the actions tree");
    change(&db, &index);
    db.flush().expect("sled flushes");
}

/// Each event about an action, as (action, seq), in order.
fn events_about_actions(dir: &Path) -> Vec<(u32, u64)> {
    let store = open_store(dir);
    let head = store.head().expect("head").expect("events").seq;
    (0..=head)
        .filter_map(|seq| {
            let subject = store.subject_at(seq).expect("subject")?;
            Some((subject.action?.get(), seq))
        })
        .collect()
}

/// A chunk's key: the action, then the first event it lists.
fn key(action: u32, first: u64) -> Vec<u8> {
    [&action.to_be_bytes()[..], &first.to_be_bytes()[..]].concat()
}

/// A chunk's value: the events it lists, 8 bytes each.
fn value(seqs: &[u64]) -> Vec<u8> {
    seqs.iter().flat_map(|seq| seq.to_be_bytes()).collect()
}

/// The chunks of `action` in the index, by key: each key and the events
/// its chunk lists.
fn chunks_of(index: &sled::Tree, action: u32) -> Vec<(Vec<u8>, Vec<u64>)> {
    index
        .scan_prefix(action.to_be_bytes())
        .map(|item| {
            let (key, value) = item.expect("a chunk");
            let seqs = value
                .chunks_exact(8)
                .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
                .collect();
            (key.to_vec(), seqs)
        })
        .collect()
}

/// Keys and values of the index, in order.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Every key and value of the index, to compare two indexes.
fn whole_index(dir: &Path) -> Entries {
    let sled_dir = dir.join("sled");
    let db = Held::new(sled::open(&sled_dir).expect("sled opens"), sled_dir);
    let index = db.open_tree("actions").expect("the actions tree");
    index
        .iter()
        .map(|item| {
            let (key, value) = item.expect("an entry");
            (key.to_vec(), value.to_vec())
        })
        .collect()
}

#[test]
fn history_through_the_index_is_the_history_of_the_full_fold() {
    let fx = fixture();
    let store = open_store(&fx.dir());
    let compared = assert_histories_match_the_full_fold(&store);
    assert!(compared >= 26, "compared {compared} actions");
    drop(store);
    let verified = fx.ok(&["verify"]).stdout;
    assert!(
        verified.contains("entries of the action index checked against the events they name"),
        "{verified}"
    );
    let a1 = fx.ok(&["history", "A1"]).stdout;
    assert!(a1.contains("Training booked"), "{a1}");
    assert!(a1.contains("A relative's name"), "{a1}");
    assert!(!a1.contains("Jane Example"), "{a1}");
}

#[test]
fn a_ledger_without_the_index_or_with_one_behind_reads_the_same() {
    let fx = fixture();
    let before = fx.histories();
    // As a ledger written before the index existed.
    fx.tamper_index(|db, _| {
        db.drop_tree("actions").expect("the tree drops");
    });
    {
        let store = open_store(&fx.dir());
        assert_histories_match_the_full_fold(&store);
        // Indexed half way: the rest is found by the events' subjects.
        let head = store.head().expect("head").expect("events").seq;
        store.index_actions_upto(head / 2).expect("indexed");
        assert_histories_match_the_full_fold(&store);
    }
    assert_eq!(fx.histories(), before);
    // The first command to open it brought the index up to the head.
    let verified = fx.ok(&["verify"]);
    assert!(verified.stdout.contains("intact"), "{}", verified.stdout);
    let store = open_store(&fx.dir());
    assert_histories_match_the_full_fold(&store);
}

#[test]
fn verify_names_an_index_that_is_wrong_and_snapshot_rebuild_replaces_it() {
    let fx = fixture();
    let before = fx.histories();
    let head = {
        let store = open_store(&fx.dir());
        store.head().expect("head").expect("events").seq
    };
    // An event dropped from A1's chunk: A1's history would silently lose
    // it.
    fx.tamper_index(|_, index| {
        let (first, mut seqs) = chunks_of(index, 1).remove(0);
        assert!(seqs.len() >= 2, "A1's chunk lists {seqs:?}");
        seqs.pop();
        index.insert(first, value(&seqs)).expect("rewritten");
    });
    let found = fx.run_at("2022-03-01T09:00:00Z", &["verify"]);
    assert_ne!(found.code, 0, "{}", found.stdout);
    let said = format!("{}{}", found.stdout, found.stderr);
    assert!(said.contains("the action index is wrong"), "{said}");
    assert!(said.contains("missing 1 event"), "{said}");
    assert!(said.contains("planledger snapshot --rebuild"), "{said}");

    let rebuilt = fx.ok(&["snapshot", "--rebuild"]);
    assert!(
        rebuilt.stdout.contains("action index"),
        "{}",
        rebuilt.stdout
    );
    fx.ok(&["verify"]);
    assert_eq!(fx.histories(), before);

    // An entry that files another action's event under A1: history refuses
    // rather than print it, and verify names it.
    let a2_event = {
        let store = open_store(&fx.dir());
        (0..=head)
            .find(|&seq| {
                store
                    .subject_at(seq)
                    .expect("subject")
                    .is_some_and(|s| s.action.is_some_and(|a| a.to_string() == "A2"))
            })
            .expect("an event about A2")
    };
    fx.tamper_index(|_, index| {
        let chunks = chunks_of(index, 1);
        let mut seqs: Vec<u64> = chunks.iter().flat_map(|(_, seqs)| seqs.clone()).collect();
        seqs.push(a2_event);
        seqs.sort_unstable();
        for (key, _) in chunks {
            index.remove(key).expect("removed");
        }
        index
            .insert(key(1, seqs[0]), value(&seqs))
            .expect("inserted");
    });
    let found = fx.run_at("2022-03-01T09:00:00Z", &["verify"]);
    assert_ne!(found.code, 0);
    let said = format!("{}{}", found.stdout, found.stderr);
    assert!(
        said.contains(&format!("files event {a2_event} under A1")),
        "{said}"
    );
    let history = fx.run_at("2022-03-01T09:00:00Z", &["history", "A1"]);
    assert_ne!(history.code, 0, "{}", history.stdout);
    assert!(
        history.stderr.contains("the action index is wrong"),
        "{}",
        history.stderr
    );
    fx.ok(&["snapshot", "--rebuild"]);
    fx.ok(&["verify"]);
    assert_eq!(fx.histories(), before);
}

#[test]
fn history_of_an_action_whose_chunks_are_gone_names_the_damage_not_an_unknown_id() {
    let fx = fixture();
    let added = {
        let store = open_store(&fx.dir());
        store
            .action_events(ActionId::of(1), u64::MAX)
            .expect("A1's events")
            .next()
            .expect("the event that added A1")
            .expect("read")
            .seq
    };
    // Every chunk of A1 gone: read through the index alone, A1 looks as if
    // the ledger never added it.
    fx.tamper_index(|_, index| {
        for (key, _) in chunks_of(index, 1) {
            index.remove(key).expect("removed");
        }
    });
    let history = fx.run_at("2022-03-01T09:00:00Z", &["history", "A1"]);
    assert_ne!(history.code, 0, "{}", history.stdout);
    assert!(history.stdout.is_empty(), "{}", history.stdout);
    assert!(
        history.stderr.contains(&format!(
            "the action index is wrong: it does not list event {added}, which added A1"
        )),
        "{}",
        history.stderr
    );
    assert!(
        history.stderr.contains("planledger snapshot --rebuild"),
        "{}",
        history.stderr
    );
    // An id the ledger never added is still refused as unknown, with the
    // nearest one it did.
    let unknown = fx.run_at("2022-03-01T09:00:00Z", &["history", "A999"]);
    assert_ne!(unknown.code, 0);
    assert!(unknown.stderr.contains("A999"), "{}", unknown.stderr);
    assert!(
        !unknown.stderr.contains("action index"),
        "{}",
        unknown.stderr
    );
    let found = fx.run_at("2022-03-01T09:00:00Z", &["verify"]);
    assert_ne!(found.code, 0, "{}", found.stdout);
    fx.ok(&["snapshot", "--rebuild"]);
    assert!(fx.ok(&["history", "A1"]).stdout.contains("Training booked"));
}

#[test]
fn an_action_with_more_events_than_a_chunk_reads_the_same_through_several_chunks() {
    let (tmp, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tmp.clock);
    // A note a transaction: each extends A1's last chunk, or begins one.
    for i in 0..ACTION_INDEX_CHUNK + 5 {
        record(&mut ledger, &tmp.clock, vec![note(1, &format!("Note {i}"))]);
    }
    // One transaction of notes on A1 and A2, across the end of a chunk.
    let notes = (0..2 * ACTION_INDEX_CHUNK)
        .map(|i| note(1 + u32::from(i % 3 == 0), &format!("Batch note {i}")))
        .collect();
    record(&mut ledger, &tmp.clock, notes);
    drop(ledger);
    let dir = tmp.dir();

    let about = events_about_actions(&dir);
    let of_a1 = about.iter().filter(|&&(action, _)| action == 1).count();
    assert!(of_a1 > 2 * ACTION_INDEX_CHUNK, "A1 has {of_a1} events");
    {
        let store = open_store(&dir);
        assert_histories_match_the_full_fold(&store);
    }
    let report = verify_dir(&dir);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.action_index_entries, about.len() as u64);
    let written = whole_index(&dir);
    let a1_chunks = written
        .iter()
        .filter(|(key, _)| key.len() == 12 && key.starts_with(&1u32.to_be_bytes()))
        .count();
    assert_eq!(a1_chunks, of_a1.div_ceil(ACTION_INDEX_CHUNK));

    // Caught up from nothing, half way and then to the head, in batches
    // rather than transaction by transaction: the same chunks.
    tamper_index(&dir, |db, _| {
        db.drop_tree("actions").expect("the tree drops");
    });
    {
        let store = open_store(&dir);
        let head = store.head().expect("head").expect("events").seq;
        store.index_actions_upto(head / 2).expect("indexed");
        assert_histories_match_the_full_fold(&store);
        store.index_actions().expect("indexed");
        assert_histories_match_the_full_fold(&store);
    }
    assert_eq!(whole_index(&dir), written);
    let report = verify_dir(&dir);
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.action_index_entries, about.len() as u64);
}

#[test]
fn an_index_of_the_version_before_chunks_is_no_index_and_the_first_writer_replaces_it() {
    let fx = fixture();
    let before = fx.histories();
    let about = events_about_actions(&fx.dir());
    let head = {
        let store = open_store(&fx.dir());
        store.head().expect("head").expect("events").seq
    };
    // As planledger wrote it before chunks (version 1): a key per event,
    // action ‖ seq, with an empty value, and a mark of version 1.
    fx.tamper_index(|_, index| {
        index.clear().expect("cleared");
        for &(action, seq) in &about {
            index.insert(key(action, seq), &[]).expect("inserted");
        }
        let mark = [&1u32.to_be_bytes()[..], &(head + 1).to_be_bytes()[..]].concat();
        index.insert([0; 4], mark).expect("inserted");
    });

    // Read by the events' subjects; verify passes it by, and writes nothing.
    {
        let store = open_store(&fx.dir());
        assert_histories_match_the_full_fold(&store);
    }
    let report = verify_dir(&fx.dir());
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.action_index_entries, 0);
    let verified = fx.ok(&["verify"]).stdout;
    assert!(verified.contains("intact"), "{verified}");
    assert!(!verified.contains("of the action index"), "{verified}");

    let mark_of = |index: &Entries| {
        index
            .iter()
            .find(|(key, _)| key[..] == [0; 4])
            .map(|(_, value)| value.clone())
    };
    let old_mark = [&1u32.to_be_bytes()[..], &(head + 1).to_be_bytes()[..]].concat();
    assert_eq!(mark_of(&whole_index(&fx.dir())), Some(old_mark));

    // The first command to open it in place writes it afresh, in chunks.
    assert_eq!(fx.histories(), before);
    let index = whole_index(&fx.dir());
    let new_mark = [&2u32.to_be_bytes()[..], &(head + 1).to_be_bytes()[..]].concat();
    assert_eq!(mark_of(&index), Some(new_mark));
    assert!(
        index
            .iter()
            .all(|(key, value)| key.len() == 4 || !value.is_empty()),
        "{index:?}"
    );
    let verified = fx.ok(&["verify"]).stdout;
    assert!(
        verified.contains(&format!(
            "index       {} entries of the action index checked",
            about.len()
        )),
        "{verified}"
    );
}

#[test]
fn verify_names_each_malformed_chunk_and_history_refuses_it() {
    let fx = fixture();
    let before = fx.histories();
    let mut original = Vec::new();
    fx.tamper_index(|_, index| original = chunks_of(index, 1));
    assert_eq!(original.len(), 1, "A1's chunks: {original:?}");
    let s = &original[0].1;
    assert!(s.len() >= 3, "A1's chunk lists {s:?}");
    let (a1, f) = (ActionId::of(1), s[0]);
    let chunk = ACTION_INDEX_CHUNK;
    let swapped = [&[f, s[2], s[1]][..], &s[3..]].concat();
    // What is written in place of A1's chunk, and the fault verify names.
    let cases: Vec<(Entries, IndexFault)> = vec![
        // Bytes that are not whole sequence numbers.
        (
            vec![(key(1, f), [value(s), vec![0; 3]].concat())],
            IndexFault::ChunkLength {
                action: a1,
                first: f,
                len: 8 * s.len() + 3,
            },
        ),
        // A chunk that lists nothing (as version 1's keys were).
        (
            vec![(key(1, f), Vec::new())],
            IndexFault::ChunkEmpty {
                action: a1,
                first: f,
            },
        ),
        // More events than a chunk holds.
        (
            vec![(
                key(1, f),
                value(&(f..=f + chunk as u64).collect::<Vec<_>>()),
            )],
            IndexFault::ChunkOverfull {
                action: a1,
                first: f,
                events: chunk + 1,
            },
        ),
        // A key that is not the chunk's first event.
        (
            vec![(key(1, f), value(&s[1..]))],
            IndexFault::ChunkStart {
                action: a1,
                first: f,
                begins: s[1],
            },
        ),
        // Events out of order within a chunk.
        (
            vec![(key(1, f), value(&swapped))],
            IndexFault::OutOfOrder {
                action: a1,
                seq: s[1],
                after: s[2],
            },
        ),
        // Two chunks that both list one event.
        (
            vec![(key(1, f), value(&s[..3])), (key(1, s[2]), value(&s[2..]))],
            IndexFault::OutOfOrder {
                action: a1,
                seq: s[2],
                after: s[2],
            },
        ),
        // A key of neither a chunk's length nor the mark's.
        (
            vec![([key(1, f), vec![0]].concat(), value(s))],
            IndexFault::KeyLength { len: 13 },
        ),
    ];
    for (chunks, fault) in cases {
        fx.tamper_index(|_, index| {
            for key in index.scan_prefix(1u32.to_be_bytes()).keys() {
                index.remove(key.expect("a key")).expect("removed");
            }
            for (key, value) in &chunks {
                index.insert(&key[..], &value[..]).expect("inserted");
            }
        });
        let report = verify_dir(&fx.dir());
        let found: Vec<_> = report.problems.iter().map(|p| &p.kind).collect();
        assert!(
            matches!(found[..], [ProblemKind::ActionIndexWrong { fault: named }] if *named == fault),
            "{fault:?}: {found:?}"
        );
        let verified = fx.run_at("2022-03-01T09:00:00Z", &["verify"]);
        assert_eq!(verified.code, 3, "{fault:?}: {}", verified.stdout);
        let said = format!("{}{}", verified.stdout, verified.stderr);
        assert!(said.contains(&fault.to_string()), "{said}");
        let history = fx.run_at("2022-03-01T09:00:00Z", &["history", "A1"]);
        assert_ne!(history.code, 0, "{fault:?}: {}", history.stdout);
        assert!(
            history.stderr.contains("the action index is wrong"),
            "{fault:?}: {}",
            history.stderr
        );
    }

    fx.ok(&["snapshot", "--rebuild"]);
    fx.ok(&["verify"]);
    assert_eq!(fx.histories(), before);
}
