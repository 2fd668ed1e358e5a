//! Snapshots are derived data: reading through them gives exactly what a
//! full fold gives, and a snapshot that is wrong is caught or dropped.

use std::sync::Arc;

use planledger::command::Command;
use planledger::id::{ActionId, PlanId, RecId};
use planledger::integrity;
use planledger::ledger::{Bound, Ledger, Stamped};
use planledger::projection::State;
use planledger::snapshot::{self, SNAPSHOT_EVERY, SnapshotFault};
use planledger::store::PART_LEN;
use planledger::store::chain_check::{ProblemKind, check_chain};
use planledger::time::FixedClock;

use crate::support::{Held, open_ledger, open_store, verify_dir};

const T0: i64 = 1_600_000_000_000_000;

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(T0))
}

/// A ledger just past one snapshot interval: a plan, an action, and enough
/// milestone notes (in two transactions) to cross `SNAPSHOT_EVERY`.
fn big_ledger(dir: &std::path::Path, clock: &Arc<FixedClock>) -> Held<Ledger> {
    let mut ledger = Held::new(
        Ledger::init(dir, "Admin", clock.clone()).expect("init"),
        dir.join("sled"),
    );
    ledger
        .transact(
            "Admin",
            "setup",
            vec![
                Stamped::from(Command::AddPlan {
                    partnership: "CSP".into(),
                    review: "Alice".into(),
                    chair: None,
                    published: None,
                }),
                Stamped::from(Command::AddAction {
                    plan: PlanId::of(1),
                    agency: "Police".into(),
                    lead: None,
                    text: "Update Niche".into(),
                    scope: None,
                    recommendations: vec![RecId::of(1)],
                    target: None,
                }),
            ],
        )
        .expect("setup");
    for batch in 0..2u64 {
        clock.advance_secs(60);
        let notes = (0..SNAPSHOT_EVERY / 2 + 10)
            .map(|i| {
                Stamped::from(Command::NoteMilestone {
                    action: ActionId::of(1),
                    note: format!("note {batch}-{i}"),
                })
            })
            .collect();
        ledger
            .transact("Agency lead", "notes", notes)
            .expect("notes");
    }
    ledger
}

fn full_fold(ledger: &Ledger, last: Option<u64>) -> State {
    let events = ledger.events().expect("events");
    State::fold(
        events
            .iter()
            .filter(|e| last.is_none_or(|l| e.seq <= l))
            .map(|e| (e.seq, e.hash, &e.record)),
    )
}

/// The oldest stored snapshot of `ledger`: its sequence number and bytes.
fn first_snapshot(ledger: &Ledger) -> (u64, Vec<u8>) {
    let seq = ledger.store().snapshot_seqs().expect("seqs")[0];
    let (at, bytes) = ledger
        .store()
        .snapshots_upto(seq)
        .next()
        .expect("a snapshot")
        .expect("readable");
    assert_eq!(at, seq);
    (seq, bytes)
}

#[test]
fn crossing_the_interval_writes_a_snapshot_and_reading_through_it_equals_a_full_fold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    let head = ledger.state().head.expect("head").0;
    assert!(head >= SNAPSHOT_EVERY);
    assert_eq!(ledger.state(), &full_fold(&ledger, None));
    drop(ledger);

    let reopened = open_ledger(dir.path(), clock.clone());
    assert_eq!(
        reopened.store().snapshots_upto(u64::MAX).count(),
        1,
        "one snapshot, at the head of the transaction that crossed the interval"
    );
    assert_eq!(reopened.state(), &full_fold(&reopened, None));
    for n in [
        0,
        1,
        2,
        SNAPSHOT_EVERY / 2,
        SNAPSHOT_EVERY + 5,
        head - 1,
        head,
    ] {
        assert_eq!(
            reopened.state_at(Bound::Seq(n)).expect("state_at"),
            full_fold(&reopened, Some(n)),
            "as of seq {n}"
        );
    }
    // As of an instant between the two batches: only the first batch.
    let first_batch = reopened
        .state_at(Bound::RecordedBy(T0 + 60_000_000))
        .expect("as of");
    assert_eq!(
        first_batch.actions[&ActionId::of(1)].milestones.len() as u64,
        SNAPSHOT_EVERY / 2 + 10
    );
    assert_eq!(
        reopened
            .state_at(Bound::RecordedBy(T0 - 1))
            .expect("before"),
        State::default()
    );
}

#[test]
fn verify_catches_a_snapshot_that_differs_from_the_fold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    let (seq, _) = ledger
        .store()
        .snapshots_upto(u64::MAX)
        .next()
        .expect("a snapshot")
        .expect("readable");
    // A forged snapshot at the same point: right version and hash, wrong state.
    let mut forged = ledger.state_at(Bound::Seq(seq)).expect("state");
    if let Some(action) = forged.actions.get_mut(&ActionId::of(1)) {
        action.status = planledger::status::Status::Assured;
    }
    let (_, bytes) = snapshot::encode(&forged)
        .expect("encode")
        .expect("has head");
    ledger.store().put_snapshot(seq, bytes).expect("put");
    drop(ledger);

    let store = open_store(dir.path());
    let mut report = check_chain(&store).expect("check_chain");
    assert!(report.ok(), "the chain itself is intact");
    snapshot::check(&store, &mut report).expect("check");
    assert!(!report.ok());
    assert_eq!(report.first_bad_seq(), Some(seq));
    assert!(
        report.problems.iter().any(|p| p.seq == seq
            && matches!(
                p.kind,
                ProblemKind::SnapshotWrong { at, fault: SnapshotFault::DiffersFromFold } if at == seq
            )),
        "{:?}",
        report.problems
    );
    let full = integrity::verify(&store).expect("verify");
    assert_eq!(
        full.first_bad_seq(),
        Some(seq),
        "the full verify checks snapshots: {:?}",
        full.problems
    );

    // Rebuilding from the events puts it right.
    let mut state = State::default();
    for event in store.events() {
        let event = event.expect("event");
        state.apply(event.seq, event.hash, &event.record);
    }
    snapshot::rebuild(&store, &state).expect("rebuild");
    let mut report = check_chain(&store).expect("check_chain");
    snapshot::check(&store, &mut report).expect("check");
    assert!(report.ok(), "{:?}", report.problems);
    let report = integrity::verify(&store).expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
}

#[test]
fn a_snapshot_of_another_version_or_chain_is_dropped_and_refolded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    let expected = ledger.state().clone();
    let (seq, value) = ledger
        .store()
        .snapshots_upto(u64::MAX)
        .next()
        .expect("a snapshot")
        .expect("readable");
    let mut old_version = value.to_vec();
    old_version[..4].copy_from_slice(&0u32.to_be_bytes());
    ledger.store().put_snapshot(seq, old_version).expect("put");
    let mut other_chain = value.to_vec();
    other_chain[4] ^= 0xff;
    ledger
        .store()
        .put_snapshot(seq - 1, other_chain)
        .expect("put");
    drop(ledger);

    let reopened = open_ledger(dir.path(), clock);
    assert_eq!(reopened.state(), &expected);
    assert_eq!(
        reopened.state_at(Bound::Seq(seq)).expect("state"),
        full_fold(&reopened, Some(seq))
    );
    assert!(
        reopened
            .store()
            .snapshots_upto(seq)
            .all(|s| s.expect("readable").0 != seq - 1),
        "the snapshot whose hash is not the chain's was dropped"
    );
}

/// Appends `count` milestone notes in transactions of `batch`.
fn notes(ledger: &mut Ledger, clock: &Arc<FixedClock>, count: u64, batch: u64) {
    let mut written = 0;
    while written < count {
        clock.advance_secs(60);
        let size = batch.min(count - written);
        let notes = (written..written + size)
            .map(|i| {
                Stamped::from(Command::NoteMilestone {
                    action: ActionId::of(1),
                    note: format!("later note {i}"),
                })
            })
            .collect();
        ledger
            .transact("Agency lead", "notes", notes)
            .expect("notes");
        written += size;
    }
}

#[test]
fn a_ledger_past_several_snapshot_points_keeps_them_spread_out_and_reads_as_a_full_fold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let mut ledger = big_ledger(dir.path(), &clock);
    notes(&mut ledger, &clock, 3 * SNAPSHOT_EVERY, 512);
    let head = ledger.state().head.expect("head").0;
    let kept = ledger.store().snapshot_seqs().expect("seqs");
    assert!(
        kept.len() >= 3,
        "snapshots were written along the way and kept spread out: {kept:?}"
    );
    assert_eq!(kept, snapshot::keep(&kept), "only those the policy keeps");
    let middle = head / 2;
    assert!(
        kept.iter().any(|&s| s <= middle && s >= middle / 4),
        "as of the middle of history there is a snapshot below it: {kept:?}"
    );
    drop(ledger);

    let reopened = open_ledger(dir.path(), clock.clone());
    assert_eq!(reopened.state(), &full_fold(&reopened, None));
    for n in [middle, kept[0], kept[0] + 1, head - 1] {
        assert_eq!(
            reopened.state_at(Bound::Seq(n)).expect("state_at"),
            full_fold(&reopened, Some(n)),
            "as of seq {n}"
        );
    }
    let report = integrity::verify(reopened.store()).expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.snapshots, kept.len() as u64);
}

#[test]
fn a_damaged_snapshot_in_the_middle_is_dropped_on_reading_and_named_by_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let mut ledger = big_ledger(dir.path(), &clock);
    notes(&mut ledger, &clock, 2 * SNAPSHOT_EVERY, 1024);
    let kept = ledger.store().snapshot_seqs().expect("seqs");
    assert!(kept.len() >= 2, "{kept:?}");
    let older = kept[kept.len() - 2];
    let (_, value) = ledger
        .store()
        .snapshots_upto(older)
        .next()
        .expect("a snapshot")
        .expect("readable");
    let mut damaged = value.to_vec();
    damaged[4] ^= 0x55;
    ledger.store().put_snapshot(older, damaged).expect("put");
    drop(ledger);

    let store = open_store(dir.path());
    let report = integrity::verify(&store).expect("verify");
    assert_eq!(report.first_bad_seq(), Some(older), "{:?}", report.problems);
    assert!(
        report.problems.iter().any(|p| matches!(
            p.kind,
            ProblemKind::SnapshotWrong { at, .. } if at == older
        )),
        "{:?}",
        report.problems
    );
    drop(store);

    let reopened = open_ledger(dir.path(), clock);
    assert_eq!(
        reopened.state_at(Bound::Seq(older + 1)).expect("as of"),
        full_fold(&reopened, Some(older + 1)),
        "reading past the damaged snapshot folds correctly"
    );
}

#[test]
fn snapshots_saved_at_will_are_thinned_to_the_latest_and_the_first_of_recent_powers_of_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let mut ledger = big_ledger(dir.path(), &clock);
    let mut heads = vec![ledger.state().head.expect("head").0];
    for i in 0..6 {
        notes(&mut ledger, &clock, 700 + i * 300, 2000);
        snapshot::save(ledger.store(), ledger.state()).expect("save");
        heads.push(ledger.state().head.expect("head").0);
    }
    let kept = ledger.store().snapshot_seqs().expect("seqs");
    assert_eq!(kept, snapshot::keep(&heads));
    assert_eq!(kept.last(), heads.last(), "the latest is kept");
    // An as-of read older than every kept snapshot still folds correctly.
    assert_eq!(
        ledger.state_at(Bound::Seq(10)).expect("state"),
        full_fold(&ledger, Some(10))
    );
}
#[test]
fn a_refused_command_late_in_a_transaction_leaves_the_state_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let mut ledger = big_ledger(dir.path(), &clock);
    let before = ledger.state().clone();
    let refused = ledger.transact(
        "Agency lead",
        "notes and a bad one",
        vec![
            Stamped::from(Command::NoteMilestone {
                action: ActionId::of(1),
                note: "fine".into(),
            }),
            Stamped::from(Command::NoteMilestone {
                action: ActionId::of(99),
                note: "no such action".into(),
            }),
        ],
    );
    assert!(refused.is_err(), "the second command names no action");
    assert_eq!(ledger.state(), &before);
    assert_eq!(ledger.state(), &full_fold(&ledger, None));
    ledger
        .transact(
            "Agency lead",
            "note",
            vec![Stamped::from(Command::NoteMilestone {
                action: ActionId::of(1),
                note: "after the refusal".into(),
            })],
        )
        .expect("the next transaction goes ahead");
    assert_eq!(ledger.state(), &full_fold(&ledger, None));
}

/// The keys of the `snapshot_parts` tree of the (closed) ledger at `dir`.
fn snapshot_keys(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let sled_dir = dir.join("sled");
    let db = Held::new(sled::open(&sled_dir).expect("sled opens"), sled_dir);
    let tree = db.open_tree("snapshot_parts").expect("the parts tree");
    tree.iter()
        .keys()
        .map(|k| k.expect("a key").to_vec())
        .collect()
}

/// Edits the snapshot trees of the (closed) ledger at `dir`: snapshots in
/// parts (`snapshot_parts`) and whole ones as written before parts
/// (`snapshots`).
fn tamper_snapshots(dir: &std::path::Path, change: impl FnOnce(&sled::Tree, &sled::Tree)) {
    let sled_dir = dir.join("sled");
    let db = Held::new(sled::open(&sled_dir).expect("sled opens"), sled_dir);
    change(
        &db.open_tree("snapshot_parts").expect("the parts tree"),
        &db.open_tree("snapshots").expect("the whole-value tree"),
    );
    db.flush().expect("sled flushes");
}

/// The key of part `part` written by the snapshot at `seq` (FORMAT.md §2).
fn part_key(seq: u64, part: u32) -> Vec<u8> {
    [&b"q"[..], &seq.to_be_bytes()[..], &part.to_be_bytes()[..]].concat()
}

/// The key of the manifest of the snapshot at `seq`.
fn manifest_key(seq: u64) -> Vec<u8> {
    [&b"m"[..], &seq.to_be_bytes()[..]].concat()
}

/// The key of part `part` of a snapshot as planledger wrote them before
/// manifests, and of its header.
fn headed_part_key(seq: u64, part: u32) -> Vec<u8> {
    [&b"p"[..], &seq.to_be_bytes()[..], &part.to_be_bytes()[..]].concat()
}

fn header_key(seq: u64) -> Vec<u8> {
    [&b"h"[..], &seq.to_be_bytes()[..]].concat()
}

/// A run of a manifest, as FORMAT.md §2 lays it out (its hash aside).
struct Run {
    segment: u32,
    written: u64,
    parts: u32,
    len: u64,
}

/// A manifest's length and runs.
fn manifest_runs(value: &[u8]) -> (u64, Vec<Run>) {
    let u32_at = |at: usize| u32::from_be_bytes(value[at..at + 4].try_into().expect("4"));
    let u64_at = |at: usize| u64::from_be_bytes(value[at..at + 8].try_into().expect("8"));
    let count = u32_at(8) as usize;
    assert_eq!(value.len(), 12 + 60 * count, "a manifest of {count} runs");
    let runs = (0..count)
        .map(|i| {
            let at = 12 + 60 * i;
            Run {
                segment: u32_at(at),
                written: u64_at(at + 4),
                parts: u32_at(at + 16),
                len: u64_at(at + 20),
            }
        })
        .collect();
    (u64_at(0), runs)
}

#[test]
fn a_snapshot_is_stored_in_parts_and_read_back_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    let seq = ledger.store().snapshot_seqs().expect("seqs")[0];
    let big: Vec<u8> = (0..3 * PART_LEN + 1000).map(|i| (i % 251) as u8).collect();
    ledger.store().put_snapshot(seq, big.clone()).expect("put");
    let (at, read) = ledger
        .store()
        .snapshots_upto(seq)
        .next()
        .expect("a snapshot")
        .expect("readable");
    assert_eq!(at, seq);
    assert!(read == big, "the bytes read back are the bytes written");
    drop(ledger);
    let keys = snapshot_keys(dir.path());
    let mut expected: Vec<Vec<u8>> = (0..4).map(|part| part_key(seq, part)).collect();
    expected.push(manifest_key(seq));
    expected.sort();
    assert_eq!(
        keys, expected,
        "a manifest and four parts of at most PART_LEN bytes"
    );
}

#[test]
fn a_snapshot_missing_a_part_or_left_without_its_header_is_never_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    let seq = ledger.store().snapshot_seqs().expect("seqs")[0];
    let folded = full_fold(&ledger, None);
    drop(ledger);
    tamper_snapshots(dir.path(), |tree, _| {
        // Its first part gone; and the parts of a write that stopped before
        // its header, at another seq.
        tree.remove(part_key(seq, 0)).expect("removed");
        tree.insert(part_key(7, 0), &b"half a snapshot"[..])
            .expect("inserted");
    });
    let store = open_store(dir.path());
    assert_eq!(store.snapshot_seqs().expect("seqs"), vec![seq]);
    let report = integrity::verify(&store).expect("verify");
    assert!(
        report.problems.iter().any(|p| matches!(
            p.kind,
            ProblemKind::SnapshotWrong { at, fault: SnapshotFault::TooShort { .. } } if at == seq
        )),
        "{:?}",
        report.problems
    );
    drop(store);
    let reopened = open_ledger(dir.path(), clock.clone());
    assert_eq!(reopened.state(), &folded, "folded from the events instead");
    // The snapshot written in its place (one was due) is whole.
    let (rewritten, _) = snapshot::load_latest(reopened.store(), u64::MAX)
        .expect("read")
        .expect("a snapshot written afresh");
    assert_eq!(rewritten, folded);
    // The next save removes what the stopped write left.
    snapshot::save(reopened.store(), reopened.state()).expect("saved");
    drop(reopened);
    assert!(
        !snapshot_keys(dir.path()).contains(&part_key(7, 0)),
        "the stopped write's part is gone"
    );
    assert!(verify_dir(dir.path()).ok());
}

#[test]
fn a_snapshot_stored_whole_by_an_earlier_planledger_is_still_read_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    let seq = ledger.store().snapshot_seqs().expect("seqs")[0];
    let at_seq = ledger.state_at(Bound::Seq(seq)).expect("as of");
    let (_, whole) = snapshot::encode(&at_seq).expect("encoded").expect("a head");
    let len = whole.len() as u64;
    drop(ledger);
    tamper_snapshots(dir.path(), |parts, whole_values| {
        for key in parts.iter().keys() {
            parts.remove(key.expect("a key")).expect("removed");
        }
        whole_values
            .insert(seq.to_be_bytes(), whole)
            .expect("inserted");
    });
    let store = open_store(dir.path());
    let (state, read_len) = snapshot::load_latest(&store, u64::MAX)
        .expect("read")
        .expect("the whole-value snapshot is used");
    assert_eq!(read_len, len);
    assert_eq!(state, at_seq);
    let report = integrity::verify(&store).expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.snapshots, 1);
    drop(store);
    // The first open that may write carries it over into parts, once.
    let reopened = open_ledger(dir.path(), clock.clone());
    assert!(
        reopened
            .store()
            .whole_value_snapshot_seqs()
            .expect("seqs")
            .is_empty()
    );
    let head = reopened.state().head.expect("head").0;
    assert_eq!(reopened.store().snapshot_seqs().expect("seqs"), vec![head]);
    assert_eq!(reopened.state(), &full_fold(&reopened, None));
    drop(reopened);
    assert!(verify_dir(dir.path()).ok());
}

#[test]
fn a_snapshot_holds_which_events_are_milestones_not_their_words_which_views_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    let (_, bytes) = first_snapshot(&ledger);
    let words = b"note 0-17";
    assert!(
        !bytes.windows(words.len()).any(|w| w == words),
        "the snapshot carries no milestone's words"
    );
    let a1 = &ledger.state().actions[&ActionId::of(1)];
    assert_eq!(a1.milestones.len() as u64, 2 * (SNAPSHOT_EVERY / 2 + 10));
    let notes = planledger::recall::milestones(&*ledger, a1).expect("read back");
    assert_eq!(notes[17].note, "note 0-17");
    assert_eq!(notes[17].at.actor, "Agency lead");
    assert_eq!(notes[17].at.seq, a1.milestones[17]);
}

/// A ledger of one plan and `actions` actions, each added in one
/// transaction, with no snapshot yet.
fn ledger_of_actions(dir: &std::path::Path, clock: &Arc<FixedClock>, actions: u32) -> Held<Ledger> {
    let mut ledger = Held::new(
        Ledger::init(dir, "Admin", clock.clone()).expect("init"),
        dir.join("sled"),
    );
    let mut commands = vec![Stamped::from(Command::AddPlan {
        partnership: "CSP".into(),
        review: "Alice".into(),
        chair: None,
        published: None,
    })];
    commands.extend((0..actions).map(|i| {
        Stamped::from(Command::AddAction {
            plan: PlanId::of(1),
            agency: "Police".into(),
            lead: None,
            text: format!("Action {i}"),
            scope: None,
            recommendations: vec![RecId::of(1)],
            target: None,
        })
    }));
    ledger.transact("Admin", "setup", commands).expect("setup");
    ledger
}

/// One milestone note on each of `actions`.
fn note_on(ledger: &mut Ledger, clock: &Arc<FixedClock>, actions: &[u32]) {
    clock.advance_secs(60);
    let notes = actions
        .iter()
        .map(|&a| {
            Stamped::from(Command::NoteMilestone {
                action: ActionId::of(a),
                note: format!("progress on A{a}"),
            })
        })
        .collect();
    ledger
        .transact("Agency lead", "notes", notes)
        .expect("notes");
}

#[test]
fn a_snapshot_writes_again_only_the_ranges_of_actions_that_changed_since_the_latest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    // Actions 1-200: ranges 0 (A1-A63), 1 (A64-A127), 2 (A128-A191), 3.
    let mut ledger = ledger_of_actions(dir.path(), &clock, 200);
    note_on(&mut ledger, &clock, &[1, 150]);
    snapshot::save(ledger.store(), ledger.state()).expect("first");
    let first = ledger.state().head.expect("head").0;
    note_on(&mut ledger, &clock, &[150, 151]);
    snapshot::save(ledger.store(), ledger.state()).expect("second");
    let second = ledger.state().head.expect("head").0;
    let state = ledger.state().clone();
    let (_, encoded) = snapshot::encode(&state).expect("encoded").expect("a head");
    let (at, read) = ledger
        .store()
        .snapshots_upto(u64::MAX)
        .next()
        .expect("a snapshot")
        .expect("readable");
    assert_eq!(at, second);
    assert!(
        read == encoded,
        "its segments add up to the state's encoding"
    );
    let report = integrity::verify(ledger.store()).expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.snapshots, 2);
    drop(ledger);

    let manifest = |seq: u64| {
        let sled_dir = dir.path().join("sled");
        let db = Held::new(sled::open(&sled_dir).expect("sled opens"), sled_dir);
        let tree = db.open_tree("snapshot_parts").expect("the parts tree");
        let value = tree
            .get(manifest_key(seq))
            .expect("read")
            .expect("a manifest");
        manifest_runs(&value)
    };
    let (len, runs) = manifest(second);
    assert_eq!(len, encoded.len() as u64);
    assert_eq!(runs.iter().map(|r| r.len).sum::<u64>(), len);
    let written_by = |segment: u32| {
        runs.iter()
            .find(|r| r.segment == segment)
            .map(|r| r.written)
            .expect("a run for the segment")
    };
    // The head (0) and the rest (u32::MAX) change with every event; of the
    // actions, only range 2 (segment 3) did.
    assert_eq!(written_by(0), second);
    assert_eq!(written_by(3), second, "A150 and A151 changed");
    for unchanged in [1, 2, 4] {
        assert_eq!(written_by(unchanged), first, "segment {unchanged} shared");
    }
    assert_eq!(written_by(u32::MAX), second);
    let parts_under = |seq: u64| parts_written_by(dir.path(), seq);
    let (_, first_runs) = manifest(first);
    let first_parts: u32 = first_runs.iter().map(|r| r.parts).sum();
    assert_eq!(parts_under(first) as u32, first_parts);
    let second_own: u32 = runs
        .iter()
        .filter(|r| r.written == second)
        .map(|r| r.parts)
        .sum();
    assert_eq!(parts_under(second) as u32, second_own);
    assert!(
        second_own < first_parts,
        "{second_own} parts written again of {first_parts}"
    );

    // Dropping the first snapshot removes only what the second does not name.
    let store = open_store(dir.path());
    store.remove_snapshot(first).expect("dropped");
    store.remove_unused_snapshot_parts().expect("tidied");
    let (loaded, _) = snapshot::load_latest(&store, u64::MAX)
        .expect("read")
        .expect("the second is whole");
    assert_eq!(loaded, state);
    drop(store);
    let shared: u32 = runs
        .iter()
        .filter(|r| r.written == first)
        .map(|r| r.parts)
        .sum();
    assert_eq!(parts_written_by(dir.path(), first), shared as usize);
    assert!(verify_dir(dir.path()).ok());
}

/// How many parts written by the snapshot at `seq` the ledger at `dir` holds.
fn parts_written_by(dir: &std::path::Path, seq: u64) -> usize {
    snapshot_keys(dir)
        .iter()
        .filter(|k| k.len() == 13 && k[0] == b'q' && k[1..9] == seq.to_be_bytes())
        .count()
}

#[test]
fn a_snapshot_headed_as_an_earlier_planledger_wrote_it_is_still_read_checked_and_tidied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    let (seq, bytes) = first_snapshot(&ledger);
    let state = ledger.state_at(Bound::Seq(seq)).expect("as of");
    drop(ledger);
    // Rewritten as a header and parts of 1,000 bytes.
    tamper_snapshots(dir.path(), |parts, _| {
        for key in parts.iter().keys() {
            parts.remove(key.expect("a key")).expect("removed");
        }
        let chunks: Vec<&[u8]> = bytes.chunks(1000).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            parts
                .insert(headed_part_key(seq, i as u32), *chunk)
                .expect("part");
        }
        let mut header = (chunks.len() as u32).to_be_bytes().to_vec();
        header.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        parts.insert(header_key(seq), header).expect("header");
    });
    let store = open_store(dir.path());
    assert_eq!(store.snapshot_seqs().expect("seqs"), vec![seq]);
    let (loaded, _) = snapshot::load_latest(&store, u64::MAX)
        .expect("read")
        .expect("the headed snapshot is used");
    assert_eq!(loaded, state);
    let report = integrity::verify(&store).expect("verify");
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.snapshots, 1);
    drop(store);
    // Planted parts left without a header go at the next save; the headed
    // snapshot stays until the policy drops it.
    tamper_snapshots(dir.path(), |parts, _| {
        parts
            .insert(headed_part_key(3, 0), &b"half a snapshot"[..])
            .expect("planted");
    });
    let mut ledger = open_ledger(dir.path(), clock.clone());
    notes(&mut ledger, &clock, 10, 10);
    snapshot::save(ledger.store(), ledger.state()).expect("saved");
    let head = ledger.state().head.expect("head").0;
    assert_eq!(
        ledger.store().snapshot_seqs().expect("seqs"),
        snapshot::keep(&[seq, head])
    );
    drop(ledger);
    let keys = snapshot_keys(dir.path());
    assert!(!keys.contains(&headed_part_key(3, 0)));
    assert!(keys.contains(&manifest_key(head)));
    assert!(verify_dir(dir.path()).ok());
}

#[test]
fn verify_catches_a_snapshot_a_byte_longer_or_shorter_than_the_fold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = clock();
    let ledger = big_ledger(dir.path(), &clock);
    // As written, the snapshot is the fold (verify says so below).
    let (seq, bytes) = first_snapshot(&ledger);
    drop(ledger);
    let longer = [&bytes[..], &[0u8][..]].concat();
    let shorter = bytes[..bytes.len() - 1].to_vec();
    for (what, forged) in [("a byte more", longer), ("a byte less", shorter)] {
        let store = open_store(dir.path());
        store.put_snapshot(seq, forged).expect("put");
        let report = integrity::verify(&store).expect("verify");
        assert!(
            report.problems.iter().any(|p| matches!(
                p.kind,
                ProblemKind::SnapshotWrong { at, fault: SnapshotFault::DiffersFromFold } if at == seq
            )),
            "{what}: {:?}",
            report.problems
        );
        store.put_snapshot(seq, bytes.clone()).expect("put back");
        assert!(integrity::verify(&store).expect("verify").ok(), "{what}");
    }
}
