//! The action index (`ledger/FORMAT.md` §2, derived data): `history` of one
//! action reads that action's events through it, and says exactly what a
//! fold of the whole history says, whether the index is whole, missing (a
//! ledger written before it existed) or behind; `verify` names an index
//! that is wrong, and `planledger snapshot --rebuild` writes it afresh.

use crate::support::{CliLedger, Held, Run, assert_histories_match_the_full_fold, open_store};

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

    /// Opens the ledger's sled files directly (the ledger must be closed)
    /// and lets `change` edit the action index.
    fn tamper_index(&self, change: impl FnOnce(&sled::Db, &sled::Tree)) {
        let sled_dir = self.dir().join("sled");
        let db = Held::new(sled::open(&sled_dir).expect("sled opens"), sled_dir);
        let index = db.open_tree("actions").expect("the actions tree");
        change(&db, &index);
        db.flush().expect("sled flushes");
    }
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
