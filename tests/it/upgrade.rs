//! `planledger upgrade`: a format-1 ledger carried into a new ledger, and
//! a format-2 ledger written again in format 3's blocks.
//!
//! Format-1 ledgers are built here from code, as a format-1 planledger
//! wrote them: the records of `ledger/golden/v1/events.jsonl` (real
//! format-1 bytes, whose hashes the helper recomputes and checks), and a
//! bigger one, the shipped plan with months of assurance, recorded by the
//! real binary and re-encoded as format 1 records its facts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use planledger::chain::{self, GENESIS_PREV, Subject};
use planledger::codec;
use planledger::event::{ClockNote, Event, EventKind, Hash, Record, TxRecord};
use planledger::projection::State;
use planledger::store::LockWait;
use planledger::store::chain_check::ProblemKind;
use planledger::time::FixedClock;
use planledger::upgrade::{self, UpgradeError, Upgraded};
use serde_json::Value;

use crate::support::{
    ACTOR, Held, Run, TempLedger, block_entries, note, open_ledger, planledger, put_value, record,
    run, small_plan, start_time, stored_value, tamper, verify_dir,
};

const GOLDEN_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ledger/golden/v1/events.jsonl");
const PLAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ledger/plans/west-oxfordshire-dhr-alice-action-plan.txt"
);

/// The golden format-1 chain: each event's record bytes and hash.
fn golden_v1() -> Vec<(Vec<u8>, Hash)> {
    std::fs::read_to_string(GOLDEN_V1)
        .expect("the format-1 golden vectors")
        .lines()
        .map(|line| {
            let line: Value = serde_json::from_str(line).expect("a JSON line");
            let hex_field = |name: &str| {
                hex::decode(line[name].as_str().expect("a hex field")).expect("valid hex")
            };
            let hash: Hash = hex_field("hash").try_into().expect("32 bytes");
            (hex_field("record"), hash)
        })
        .collect()
}

/// Writes a format-1 ledger at `dir` holding `records` (each its record
/// bytes, stored and hashed as they are, and the record they decode to):
/// `LOCK`, the `events` tree (hash ‖ record, format 1's framing), `meta`
/// (`format_version` 1 and the 56-byte head) and a `TxRecord` for every
/// transaction. Returns each event's hash.
pub fn write_format1_bytes(dir: &Path, records: &[(Record, Vec<u8>)]) -> Vec<Hash> {
    std::fs::create_dir_all(dir).expect("the ledger directory is made");
    std::fs::write(dir.join("LOCK"), b"").expect("LOCK is written");
    let db = Held::new(
        sled::open(dir.join("sled")).expect("sled opens"),
        dir.join("sled"),
    );
    let events = db.open_tree("events").expect("the events tree");
    let meta = db.open_tree("meta").expect("the meta tree");
    let txs = db.open_tree("txs").expect("the txs tree");
    let mut prev = GENESIS_PREV;
    let mut hashes = Vec::new();
    let mut tx_records: BTreeMap<u64, TxRecord> = BTreeMap::new();
    for (seq, (record, bytes)) in (0u64..).zip(records) {
        let hash = chain::v1::event_hash(&prev, seq, bytes);
        let value = [&hash[..], bytes].concat();
        events
            .insert(seq.to_be_bytes(), value)
            .expect("sled writes");
        tx_records
            .entry(record.tx)
            .and_modify(|tx| {
                tx.last_seq = seq;
                tx.head_hash = hash;
            })
            .or_insert_with(|| TxRecord {
                first_seq: seq,
                last_seq: seq,
                actor: record.actor.clone(),
                recorded_at: record.recorded_at,
                clock: record.clock,
                summary: format!("format-1 transaction {}", record.tx),
                head_hash: hash,
            });
        hashes.push(hash);
        prev = hash;
    }
    for (number, tx) in &tx_records {
        let bytes = codec::encode(tx).expect("a transaction record encodes");
        txs.insert(number.to_be_bytes(), bytes)
            .expect("sled writes");
    }
    if let Some((last, _)) = records.last() {
        let mut head = Vec::new();
        head.extend_from_slice(&(records.len() as u64 - 1).to_be_bytes());
        head.extend_from_slice(&prev);
        head.extend_from_slice(&last.tx.to_be_bytes());
        head.extend_from_slice(&last.recorded_at.to_be_bytes());
        meta.insert("head", head).expect("sled writes");
    }
    meta.insert("format_version", &1u32.to_be_bytes())
        .expect("sled writes");
    db.flush().expect("sled flushes");
    hashes
}

/// [`write_format1_bytes`] with each record encoded as format 1 encodes
/// it (its free texts as words).
pub fn write_format1(dir: &Path, records: &[Record]) -> Vec<Hash> {
    let encoded: Vec<(Record, Vec<u8>)> = records
        .iter()
        .map(|r| (r.clone(), codec::encode(r).expect("a record encodes")))
        .collect();
    write_format1_bytes(dir, &encoded)
}

/// The golden format-1 chain's records, decoded from their bytes.
fn golden_v1_records() -> Vec<(Record, Vec<u8>)> {
    golden_v1()
        .into_iter()
        .map(|(bytes, _)| {
            let record = codec::decode::<Record>(&bytes).expect("a format-1 record decodes");
            (record, bytes)
        })
        .collect()
}

/// Writes the golden format-1 chain as a ledger at `dir`, checking that
/// every hash comes out as the golden file has it.
pub fn golden_v1_ledger(dir: &Path) {
    let hashes = write_format1_bytes(dir, &golden_v1_records());
    let golden: Vec<Hash> = golden_v1().into_iter().map(|(_, hash)| hash).collect();
    assert_eq!(hashes, golden, "the helper writes format 1's chain");
}

/// The shipped plan imported and months of assurance recorded after it,
/// by the real binary, as records; the genesis names format 1.
fn shipped_plan_records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path().join("ledger");
        std::fs::write(tmp.path().join("minutes.txt"), "Minutes, 3 June 2019\n")
            .expect("the evidence file is written");
        let steps: [(&str, &str, Vec<&str>); 8] = [
            ("2021-11-30T09:00:00Z", "Sam Okafor", vec!["init"]),
            ("2021-12-01T10:00:00Z", "Sam Okafor", vec!["import", PLAN]),
            (
                "2022-01-10T09:00:00Z",
                "Bob Assurance",
                vec!["accept", "A1", "--finding", "Dip sample checked"],
            ),
            (
                "2022-01-11T09:00:00Z",
                "Bob Assurance",
                vec!["challenge", "A2", "--finding", "No audit attached"],
            ),
            (
                "2022-01-12T09:00:00Z",
                "Dr Ruth Mensah",
                vec!["status", "A25", "in-progress", "--reason", "Restarted"],
            ),
            (
                "2022-01-12T09:05:00Z",
                "Dr Ruth Mensah",
                vec![
                    "note",
                    "A25",
                    "Draft policy to committee",
                    "--effective",
                    "2022-01-05",
                ],
            ),
            (
                "2022-01-12T09:10:00Z",
                "Dr Ruth Mensah",
                vec![
                    "claim",
                    "A21",
                    "--outcome",
                    "Policy published",
                    "--evidence",
                    "minutes.txt",
                    "--effective",
                    "2021-10",
                ],
            ),
            (
                "2022-01-12T09:15:00Z",
                "Dr Ruth Mensah",
                vec!["retarget", "A26", "2022-06", "--reason", "HR capacity"],
            ),
        ];
        for (clock, actor, args) in steps {
            let out = run(planledger(&dir)
                .current_dir(tmp.path())
                .env("PLANLEDGER_CLOCK", clock)
                .env("PLANLEDGER_ACTOR", actor)
                .args(&args));
            assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        }
        let ledger = open_ledger(&dir, Arc::new(FixedClock::new(start_time())));
        // As a format-1 planledger recorded the same: its importer linked
        // no action to a recommendation (`ActionLinked` is format 2's).
        let mut records: Vec<Record> = ledger
            .events()
            .expect("the events read back")
            .into_iter()
            .map(|e| e.record)
            .filter(|r| !matches!(r.event, Event::ActionLinked { .. }))
            .collect();
        let Event::LedgerCreated { ledger_id, .. } = records[0].event else {
            panic!("the genesis is first")
        };
        records[0].event = Event::LedgerCreated {
            ledger_id,
            format_version: 1,
        };
        records
    })
}

/// Every file under `dir` with its bytes (and every directory, empty).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            let name = path.strip_prefix(root).expect("inside").to_path_buf();
            if path.is_dir() {
                into.insert(name.join(""), Vec::new());
                walk(root, &path, into);
            } else {
                into.insert(name, std::fs::read(&path).expect("a readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Upgrades through the library, with the fixed test clock.
fn upgrade_lib(old: &Path, new: &Path) -> Result<Upgraded, UpgradeError> {
    let clock = Arc::new(FixedClock::new(start_time()));
    upgrade::upgrade(old, new, ACTOR, clock, LockWait::moment())
}

/// `planledger upgrade OLD NEW`, run as a process.
fn upgrade_cli(old: &Path, new: &Path) -> Run {
    run(planledger(old)
        .env("PLANLEDGER_ACTOR", ACTOR)
        .arg("upgrade")
        .arg(old)
        .arg(new))
}

/// The state folded from `records`, without what differs between an old
/// ledger and its upgrade: the genesis's ledger facts and the hashes.
fn plans_of(mut state: State) -> State {
    state.ledger = None;
    state.head = state.head.map(|(seq, _)| (seq, [0; 32]));
    state
}

fn fold(records: &[Record]) -> State {
    State::fold((0u64..).zip(records).map(|(seq, r)| (seq, [0; 32], r)))
}

#[test]
fn the_helper_writes_format_1_as_its_golden_vectors_have_it() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    // Asserts every hash against the golden file.
    golden_v1_ledger(&tmp.path().join("old"));
    // And the records re-encode to the very bytes stored.
    for (record, bytes) in golden_v1_records() {
        assert_eq!(codec::encode(&record).expect("encodes"), bytes);
    }
}

#[test]
fn a_format_1_ledger_is_refused_by_show_naming_the_upgrade_command() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let old = tmp.path().join("old");
    golden_v1_ledger(&old);
    let out = run(planledger(&old).arg("show"));
    assert_eq!(
        out.code, 1,
        "a format to upgrade is not damage: {}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let expected = format!(
        "error: ledger {path} is in format 1, which this planledger reads only to upgrade it: run 'planledger upgrade {path} NEW_DIR' to write a format-3 ledger (the old one is left as it is)\n",
        path = old.display()
    );
    assert_eq!(out.stderr, expected);
    let verify = run(planledger(&old).arg("verify"));
    assert_eq!(verify.code, 1, "{}", verify.stderr);
    assert!(
        verify.stderr.contains("planledger upgrade"),
        "{}",
        verify.stderr
    );
}

#[test]
fn upgrade_carries_every_event_as_recorded_and_the_new_ledger_verifies() {
    for (name, records) in [
        (
            "golden",
            golden_v1_records()
                .into_iter()
                .map(|(r, _)| r)
                .collect::<Vec<_>>(),
        ),
        ("shipped plan", shipped_plan_records().to_vec()),
    ] {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        let hashes = write_format1(&old, &records);
        let done = upgrade_lib(&old, &new).unwrap_or_else(|e| panic!("{name}: {e}"));
        let count = records.len() as u64;
        assert_eq!(done.events, count, "{name}");
        assert_eq!(
            done.old_head,
            (count - 1, hashes[hashes.len() - 1]),
            "{name}"
        );

        let report = verify_dir(&new);
        assert!(report.ok(), "{name}: {:?}", report.problems);
        assert_eq!(report.events, count, "{name}: the same number of events");
        assert_eq!(report.head, Some(done.new_head), "{name}");

        let ledger = open_ledger(&new, Arc::new(FixedClock::new(start_time())));
        let carried: Vec<Record> = ledger
            .events()
            .expect("the events read back")
            .into_iter()
            .map(|e| e.record)
            .collect();
        // Every event but the genesis as it was recorded, at its seq: the
        // same transaction, time, clock, actor, effective date, source.
        assert_eq!(carried[1..], records[1..], "{name}");
        let Event::LedgerCreated { ledger_id, .. } = records[0].event else {
            panic!("{name}: a genesis first")
        };
        assert_eq!(
            carried[0],
            Record {
                event: Event::LedgerUpgraded {
                    ledger_id: done.new_id,
                    format_version: 2,
                    from_ledger_id: ledger_id,
                    from_format_version: 1,
                    from_head_hash: done.old_head.1,
                    from_events: count,
                },
                ..records[0].clone()
            },
            "{name}: the genesis names the old ledger, in the old genesis's envelope"
        );
        assert_eq!(
            plans_of(ledger.state().clone()),
            plans_of(fold(&records)),
            "{name}: the same plans"
        );
        let from = ledger
            .state()
            .ledger
            .as_ref()
            .and_then(|l| l.upgraded_from.clone());
        assert_eq!(
            from.map(|f| (f.ledger_id, f.events, f.head_hash)),
            Some((ledger_id, count, done.old_head.1)),
            "{name}"
        );
    }
}

#[test]
fn the_old_ledger_is_byte_identical_after_an_upgrade() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    write_format1(&old, shipped_plan_records());
    let before = files(&old);

    // The test means something: sled writes to a ledger it merely opens
    // (its page-table snapshot), so reading OLD in place would change it.
    let probe = tmp.path().join("probe");
    for (name, bytes) in &before {
        let path = probe.join(name);
        if bytes.is_empty() && name.as_os_str().to_string_lossy().ends_with('/') {
            std::fs::create_dir_all(&path).expect("a directory");
        } else {
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
            std::fs::write(&path, bytes).expect("a file");
        }
    }
    assert_eq!(files(&probe), before, "the probe is a copy");
    drop(Held::new(
        sled::open(probe.join("sled")).expect("sled opens the copy"),
        probe.join("sled"),
    ));
    assert_ne!(files(&probe), before, "sled writes to what it opens");

    let out = upgrade_cli(&old, &new);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        files(&old),
        before,
        "not one byte of the old ledger changed"
    );
}

#[test]
fn upgrade_says_both_heads_and_the_new_ledger_says_where_it_came_from() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    golden_v1_ledger(&old);
    let (_, old_hash) = golden_v1().pop().expect("a last event");
    let old_hash = hex::encode(old_hash);
    let out = upgrade_cli(&old, &new);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "old ledger  11111111111111111111111111111111, head seq 26  {old_hash} (left as it was)"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("carried     27 events in 12 transaction(s)"),
        "{}",
        out.stdout
    );
    let new_head = verify_dir(&new).head.expect("a head");
    assert!(
        out.stdout
            .contains(&format!("head seq 26  {}\n", hex::encode(new_head.1))),
        "{}",
        out.stdout
    );

    let words = format!(
        "format-1 ledger 11111111111111111111111111111111 at its head seq 26 {old_hash} (27 events)"
    );
    let verify = run(planledger(&new).arg("verify"));
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(
        verify
            .stdout
            .contains(&format!("upgraded    from {words}\n")),
        "{}",
        verify.stdout
    );
    let json = run(planledger(&new).args(["verify", "--json"]));
    let json: Value = serde_json::from_str(&json.stdout).expect("verify prints JSON");
    assert_eq!(
        json["upgraded_from"],
        serde_json::json!({
            "ledger_id": "11111111111111111111111111111111",
            "format_version": 1,
            "head": {"seq": 26, "hash": old_hash},
            "events": 27,
        })
    );
    let show = run(planledger(&new).arg("show"));
    assert!(
        show.stdout.starts_with(&format!("Upgraded from {words}\n")),
        "{}",
        show.stdout
    );
    let audit = run(planledger(&new).args(["audit", "--json"]));
    let audit: Value = serde_json::from_str(&audit.stdout).expect("audit prints JSON");
    let genesis = audit[0]["change"].as_str().expect("the genesis in words");
    assert!(
        genesis.ends_with(&format!("by upgrading {words}")),
        "{genesis}"
    );

    // A ledger that was never upgraded says nothing of the kind.
    let (fresh, ledger) = TempLedger::new();
    drop(ledger);
    let plain = run(planledger(&fresh.dir()).args(["verify", "--json"]));
    let plain: Value = serde_json::from_str(&plain.stdout).expect("verify prints JSON");
    assert_eq!(plain["upgraded_from"], Value::Null);
}

/// The genesis of an upgraded ledger, its bytes and hash pinned (computed
/// independently, with Python's `struct` and `blake3`, from the format's
/// description): a change here is a change of format.
#[test]
fn the_upgraded_genesis_record_and_hash_are_pinned() {
    let head: Hash =
        hex::decode("694a056cce25305b84ab51dc9c96308665cbaa7288f43be96f5e1c7b80996fa6")
            .expect("hex")
            .try_into()
            .expect("32 bytes");
    let record = Record {
        tx: 0,
        recorded_at: 1_600_000_000_000_000,
        clock: ClockNote::Overridden,
        actor: "Admin".into(),
        effective: None,
        source: None,
        event: Event::LedgerUpgraded {
            ledger_id: [0x22; 16],
            format_version: 2,
            from_ledger_id: [0x11; 16],
            from_format_version: 1,
            from_head_hash: head,
            from_events: 27,
        },
    };
    let sealed = codec::encode_record(&record, || [0; 16]).expect("encodes");
    assert_eq!(sealed.texts, None, "the genesis has no free text");
    assert_eq!(
        hex::encode(&sealed.record),
        "00000000000000000000a40731af050001000000050000000000000041646d696e00000e00000022222222222222222222222222222222020000001111111111111111111111111111111101000000694a056cce25305b84ab51dc9c96308665cbaa7288f43be96f5e1c7b80996fa61b00000000000000"
    );
    let digest = chain::record_digest(&sealed.record);
    assert_eq!(
        hex::encode(digest),
        "06fc3c34416be57abf8a6155eea2dfce0f7efb594051c264b9b5c992f32ec903"
    );
    assert_eq!(
        hex::encode(chain::event_hash(
            &GENESIS_PREV,
            0,
            Subject::LEDGER,
            &digest
        )),
        "215193141310cfd4170792195b60a121cd9999210cecf18ccdc6d9c89b5f00d0"
    );
}

#[test]
fn a_tampered_old_ledger_is_refused_naming_the_seq_and_no_new_ledger_is_left() {
    for new_exists in [false, true] {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        golden_v1_ledger(&old);
        tamper(&old, |events, _| {
            let mut value = stored_value(events, 9);
            let last = value.len() - 1;
            value[last] ^= 0x01;
            put_value(events, 9, &value);
        });
        if new_exists {
            std::fs::create_dir(&new).expect("an empty NEW");
        }
        let before = files(&old);
        let err = upgrade_lib(&old, &new).expect_err("a changed byte is refused");
        assert!(
            matches!(
                err,
                UpgradeError::OldNotIntact {
                    seq: 9,
                    kind: ProblemKind::HashMismatch { .. },
                    ..
                }
            ),
            "{err:?}"
        );
        let out = upgrade_cli(&old, &new);
        assert_eq!(
            out.code, 3,
            "damage is an integrity failure: {}",
            out.stderr
        );
        assert!(
            out.stderr.starts_with(&format!(
                "error: ledger {} cannot be upgraded: at sequence 9, hash mismatch",
                old.display()
            )),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("carries only an intact ledger"),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        if new_exists {
            assert_eq!(files(&new), BTreeMap::new(), "NEW is still empty");
        } else {
            assert!(!new.exists(), "no NEW was left behind");
        }
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .expect("readable")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert_eq!(
            left.len(),
            1 + usize::from(new_exists),
            "nothing else: {left:?}"
        );
        assert_eq!(files(&old), before);
    }
}

/// A forger with the files and format 1's description writes a chain whose
/// hashes all agree: the record bytes and the rules still give it away.
#[test]
fn an_old_ledger_whose_hashes_agree_but_whose_records_do_not_is_refused() {
    let golden = golden_v1_records();
    /// A name, the forged chain, where it must be refused, and why.
    type Case = (
        &'static str,
        Vec<(Record, Vec<u8>)>,
        u64,
        fn(&ProblemKind) -> bool,
    );
    let cases: Vec<Case> = vec![
        (
            "trailing bytes",
            {
                let mut g = golden.clone();
                g[5].1.push(0);
                g
            },
            5,
            |k| matches!(k, ProblemKind::Undecodable { .. }),
        ),
        (
            "a format-2 event",
            {
                let mut g = golden.clone();
                let mut record = g[26].0.clone();
                record.event = Event::Redacted {
                    event: 8,
                    slots: vec![0],
                    reason: "a name".into(),
                };
                g[26] = (record.clone(), codec::encode(&record).expect("encodes"));
                g
            },
            26,
            |k| matches!(k, ProblemKind::NotInFormat { version: 1, .. }),
        ),
        (
            "a link, a format-2 event",
            {
                let mut g = golden.clone();
                let mut record = g[26].0.clone();
                record.event = Event::ActionLinked {
                    action: planledger::id::ActionId::of(1),
                    recommendations: vec![],
                    basis: planledger::event::LinkBasis::Stated,
                    note: Some("answers none".into()),
                };
                g[26] = (record.clone(), codec::encode(&record).expect("encodes"));
                g
            },
            26,
            |k| {
                matches!(
                    k,
                    ProblemKind::NotInFormat {
                        version: 1,
                        kind: EventKind::ActionLinked
                    }
                )
            },
        ),
        (
            "an amendment, a format-2 event",
            {
                let mut g = golden.clone();
                let mut record = g[26].0.clone();
                record.event = Event::ActionAmended {
                    action: planledger::id::ActionId::of(1),
                    changes: vec![planledger::event::Amendment::Lead(None)],
                    reason: "the lead left".into(),
                };
                g[26] = (record.clone(), codec::encode(&record).expect("encodes"));
                g
            },
            26,
            |k| {
                matches!(
                    k,
                    ProblemKind::NotInFormat {
                        version: 1,
                        kind: EventKind::ActionAmended
                    }
                )
            },
        ),
        (
            "a decision on no claim",
            {
                let mut g = golden.clone();
                // Event 12 accepts claim 2 of A1; make it claim 3.
                let mut record = g[12].0.clone();
                let Event::ClaimAccepted {
                    action, finding, ..
                } = record.event.clone()
                else {
                    panic!("event 12 is an acceptance")
                };
                record.event = Event::ClaimAccepted {
                    action,
                    claim: planledger::id::ClaimNo::of(3),
                    finding,
                };
                g[12] = (record.clone(), codec::encode(&record).expect("encodes"));
                g
            },
            12,
            |k| matches!(k, ProblemKind::BrokenRule { .. }),
        ),
    ];
    for (name, records, seq, kind) in cases {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        write_format1_bytes(&old, &records);
        match upgrade_lib(&old, &new) {
            Err(UpgradeError::OldNotIntact {
                seq: found,
                kind: k,
                ..
            }) => {
                assert_eq!(found, seq, "{name}: {k}");
                assert!(kind(&k), "{name}: {k:?}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(!new.exists(), "{name}");
    }
}

/// Events cut from the end are found by the transaction records, and,
/// when those were cut to match, by the head.
#[test]
fn an_old_ledger_cut_at_its_end_is_refused() {
    for (txs_cut_too, seq) in [(false, 22), (true, 26)] {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        golden_v1_ledger(&old);
        {
            let db = Held::new(
                sled::open(old.join("sled")).expect("sled opens"),
                old.join("sled"),
            );
            let events = db.open_tree("events").expect("events");
            events.remove(26u64.to_be_bytes()).expect("removes");
            if txs_cut_too {
                let txs = db.open_tree("txs").expect("txs");
                let bytes = txs.get(11u64.to_be_bytes()).expect("reads").expect("tx 11");
                let mut tx: TxRecord = codec::decode(&bytes).expect("decodes");
                tx.last_seq = 25;
                tx.head_hash = golden_v1()[25].1;
                txs.insert(11u64.to_be_bytes(), codec::encode(&tx).expect("encodes"))
                    .expect("writes");
            }
            db.flush().expect("flushes");
        }
        match upgrade_lib(&old, &new) {
            Err(UpgradeError::OldNotIntact {
                seq: found, kind, ..
            }) => {
                assert_eq!(found, seq, "{kind}");
                let expected = match txs_cut_too {
                    false => matches!(kind, ProblemKind::TxRecordDisagrees { tx: 11, .. }),
                    true => matches!(kind, ProblemKind::HeadBeyondChain { head: 26, last: 25 }),
                };
                assert!(expected, "{kind:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!new.exists());
    }
}

#[test]
fn a_new_directory_that_is_not_empty_is_refused_and_left_as_it_was() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    golden_v1_ledger(&old);
    std::fs::create_dir(&new).expect("NEW");
    std::fs::write(new.join("notes.txt"), "mine").expect("a file");
    let out = upgrade_cli(&old, &new);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "error: {} is not empty: upgrade writes the new ledger only into a new or empty directory (nothing was written)\n",
            new.display()
        )
    );
    assert_eq!(files(&new).len(), 1);

    // Nor into the old ledger, or a directory inside it.
    for target in [old.clone(), old.join("new")] {
        let err = upgrade_lib(&old, &target).expect_err("refused");
        assert!(
            matches!(
                err,
                UpgradeError::Store(planledger::store::StoreError::AlreadyExists { .. })
                    | UpgradeError::NewInsideOld { .. }
            ),
            "{err:?}"
        );
    }
    assert!(!old.join("new").exists());
}

#[test]
fn a_ledger_already_in_format_3_is_refused_clearly() {
    let (current, ledger) = TempLedger::new();
    drop(ledger);
    let new = current.tmp.path().join("new");
    let out = upgrade_cli(&current.dir(), &new);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "error: ledger {} is already in format 3: there is nothing to upgrade, and this planledger reads it as it is\n",
            current.dir().display()
        )
    );
    assert!(!new.exists());

    let missing = current.tmp.path().join("nothing-here");
    let out = upgrade_cli(&missing, &new);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("no ledger at"), "{}", out.stderr);
}

#[test]
fn upgrade_needs_an_actor() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    golden_v1_ledger(&old);
    let out = run(planledger(&old).arg("upgrade").arg(&old).arg(&new));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("--actor"), "{}", out.stderr);
    assert!(!new.exists());
}

/// What `upgrade` relies on: a carried transaction goes through the rule
/// book and the store's checks like any other, and a refused one writes
/// nothing.
#[test]
fn a_carried_transaction_is_refused_whole_when_it_breaks_a_rule_or_its_envelope() {
    use planledger::ledger::{Carried, CarryFault, Ledger, LedgerError};
    let records: Vec<Record> = golden_v1_records().into_iter().map(|(r, _)| r).collect();
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("ledger");
    let clock = Arc::new(FixedClock::new(start_time()));
    let mut ledger = Held::new(
        Ledger::init_carried(
            &dir,
            Carried {
                summary: "genesis".into(),
                records: records[..1].to_vec(),
            },
            clock,
            LockWait::moment(),
        )
        .expect("the genesis is carried"),
        dir.join("sled"),
    );
    // Transaction 1 is events 1 and 2 (a plan and its recommendation).
    let tx1 = || Carried {
        summary: "plan".into(),
        records: records[1..3].to_vec(),
    };
    let mut skipped = tx1();
    skipped.records.remove(0);
    let refused = ledger.append_carried(skipped).expect_err("no plan P1 yet");
    assert!(matches!(refused, LedgerError::Refused(_)), "{refused:?}");
    let mut mixed = tx1();
    mixed.records[1].actor = "Someone Else".into();
    assert!(matches!(
        ledger.append_carried(mixed),
        Err(LedgerError::NotCarried {
            seq: 2,
            fault: CarryFault::DiffersFromTx
        })
    ));
    let mut renumbered = tx1();
    for r in &mut renumbered.records {
        r.tx = 5;
    }
    assert!(matches!(
        ledger.append_carried(renumbered),
        Err(LedgerError::NotCarried {
            seq: 1,
            fault: CarryFault::NotTheNextTx {
                found: 5,
                expected: 1
            }
        })
    ));
    assert_eq!(
        ledger.events().expect("events").len(),
        1,
        "nothing was written"
    );
    ledger
        .append_carried(tx1())
        .expect("as recorded, it is carried");
    let mut earlier = Carried {
        summary: "import".into(),
        records: records[3..7].to_vec(),
    };
    for r in &mut earlier.records {
        r.recorded_at = records[0].recorded_at - 1;
    }
    assert!(matches!(
        ledger.append_carried(earlier),
        Err(LedgerError::NotCarried {
            seq: 3,
            fault: CarryFault::TimeGoesBackwards
        })
    ));
    assert_eq!(ledger.events().expect("events").len(), 3);
}

/// Writes the format-3 ledger at `dir` (closed) as format 2 stored it: one
/// event a key in `events`, its texts under its seq in `texts`, format
/// version 2. The bytes of every event and text are format 3's, unchanged.
fn to_format2(dir: &Path) {
    let db = Held::new(
        sled::open(dir.join("sled")).expect("sled opens"),
        dir.join("sled"),
    );
    let events = db.open_tree("events").expect("events");
    let texts = db.open_tree("texts").expect("texts");
    let blocks: Vec<(u64, Vec<u8>)> = events
        .iter()
        .map(|item| {
            let (key, value) = item.expect("reads");
            let key = u64::from_be_bytes(key.as_ref().try_into().expect("a seq"));
            (key, value.to_vec())
        })
        .collect();
    events.clear().expect("clears");
    for (key, block) in blocks {
        for (seq, (value, own)) in (key..).zip(block_entries(&block)) {
            events.insert(seq.to_be_bytes(), value).expect("writes");
            if let Some(own) = own {
                texts.insert(seq.to_be_bytes(), own).expect("writes");
            }
        }
    }
    let meta = db.open_tree("meta").expect("meta");
    meta.insert("format_version", 2u32.to_be_bytes().to_vec())
        .expect("writes");
    db.flush().expect("flushes");
}

/// A closed format-3 ledger of more than two blocks, its texts and a
/// signed checkpoint of its head (`cp.txt` beside it).
fn checkpointed_ledger() -> TempLedger {
    let (tl, mut ledger) = TempLedger::new();
    small_plan(&mut ledger, &tl.clock);
    let notes = (0..30).map(|i| note(1, &format!("Session {i} held with the named officer")));
    record(&mut ledger, &tl.clock, notes.collect());
    drop(ledger);
    let key = tl.tmp.path().join("sam.pem");
    let cp = tl.tmp.path().join("cp.txt");
    let made = run(planledger(&tl.dir())
        .args(["key", "new", "--name", "Sam Okafor"])
        .arg("-o")
        .arg(&key));
    assert_eq!(made.code, 0, "{}", made.stderr);
    let signed = run(planledger(&tl.dir())
        .arg("checkpoint")
        .arg("--key")
        .arg(&key)
        .arg("-o")
        .arg(&cp));
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    tl
}

#[test]
fn a_format_2_ledger_is_written_in_blocks_keeping_every_hash_and_its_checkpoints() {
    let tl = checkpointed_ledger();
    let before = verify_dir(&tl.dir());
    assert!(before.ok(), "{before:?}");
    let shown = run(planledger(&tl.dir()).arg("show"));
    let old = tl.dir();
    to_format2(&old);

    let refused = run(planledger(&old).arg("show"));
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "is in format 2, which this planledger reads only to upgrade it: run 'planledger upgrade {} NEW_DIR' to write a format-3 ledger",
            old.display()
        )),
        "{}",
        refused.stderr
    );

    let old_files = files(&old);
    let new = tl.tmp.path().join("new");
    let out = upgrade_cli(&old, &new);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (seq, hash) = before.head.expect("a head");
    for line in [
        format!(
            "Upgraded the format-2 ledger at {} into format 3 at {}",
            old.display(),
            new.display()
        ),
        format!(
            "ledger      {}, head seq {seq}  {} (the old ledger left as it was)",
            hex::encode(before.ledger_id.expect("an id")),
            hex::encode(hash)
        ),
        format!(
            "written     {} events in {} transaction(s), byte for byte",
            before.events, before.transactions
        ),
    ] {
        assert!(out.stdout.contains(&line), "{line}\n{}", out.stdout);
    }
    assert_eq!(files(&old), old_files, "the old ledger is left as it was");

    // The same ledger: the same head, what it shows, its checkpoint.
    let after = verify_dir(&new);
    assert!(after.ok(), "{after:?}");
    assert_eq!(after.head, before.head);
    assert_eq!(after.ledger_id, before.ledger_id);
    assert_eq!(run(planledger(&new).arg("show")).stdout, shown.stdout);
    let cp = tl.tmp.path().join("cp.txt");
    let checked = run(planledger(&new).arg("verify").arg("--checkpoint").arg(&cp));
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);
    assert!(
        checked.stdout.contains(&format!(
            "OK: the ledger holds exactly the history of the checkpoint, and its head is still seq {seq}"
        )),
        "{}",
        checked.stdout
    );

    // And it goes on, filling its last block and starting the next.
    let clock = Arc::new(FixedClock::new(start_time() + 86_400_000_000));
    let mut ledger = open_ledger(&new, clock.clone());
    let notes = (0..20).map(|i| note(1, &format!("Follow-up {i}")));
    record(&mut ledger, &clock, notes.collect());
    drop(ledger);
    let grown = verify_dir(&new);
    assert!(grown.ok(), "{grown:?}");
    assert_eq!(grown.events, before.events + 20);

    let again = upgrade_cli(&new, &tl.tmp.path().join("again"));
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("is already in format 3"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_damaged_format_2_ledger_is_refused_naming_the_seq_and_nothing_is_written() {
    let tl = checkpointed_ledger();
    let old = tl.dir();
    to_format2(&old);
    // Format 2 keeps one event a key: the helper writes it there.
    tamper(&old, |events, _| {
        let mut value = stored_value(events, 20);
        value[3] ^= 0x01;
        put_value(events, 20, &value);
    });
    let new = tl.tmp.path().join("new");
    let err = upgrade_lib(&old, &new).expect_err("a damaged ledger is refused");
    assert!(
        matches!(err, UpgradeError::OldNotIntact { seq: 20, .. }),
        "{err:?}"
    );
    assert!(err.is_damage());
    assert!(!new.exists(), "nothing is written");
    let out = upgrade_cli(&old, &new);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("at sequence 20, hash mismatch"),
        "{}",
        out.stderr
    );
    assert!(!new.exists(), "nothing is written");
}
