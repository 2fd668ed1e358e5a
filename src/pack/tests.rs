//! Packs of a small deterministic chain with two plans and one redacted
//! text, and the golden pack made from it.

use super::*;
use crate::chain::{GENESIS_PREV, Subjects};
use crate::codec;
use crate::date::{FuzzyDate, Target};
use crate::event::{ClockNote, Evidence, SourceRef};
use crate::event::{EventOf, Record, RecordOf};
use crate::id::{ClaimNo, RecId};
use crate::rules;
use crate::sealed::{self, Erasure};
use crate::status::Status;

/// 2020-09-13T12:26:40Z.
const T0: i64 = 1_600_000_000_000_000;
const SECOND: i64 = 1_000_000;

/// One transaction: its actor and its events, each with its source.
type Tx = (&'static str, Vec<(Option<SourceRef>, Event)>);

/// Seals, hashes and files `txs` as a ledger does, a second apart, with
/// salts drawn from a fixed key; a `Redacted` event erases the texts it
/// names, as `planledger redact` does.
fn chain_of(txs: Vec<Tx>) -> Vec<StoredEvent> {
    let mut chain: Vec<StoredEvent> = Vec::new();
    let mut state = State::default();
    let mut prev = GENESIS_PREV;
    let mut salts = 0u64;
    let mut salt = || {
        salts += 1;
        let out = blake3::keyed_hash(&[0x6b; 32], &salts.to_le_bytes());
        <[u8; 16]>::try_from(&out.as_bytes()[..16]).expect("16 bytes")
    };
    for (tx, (actor, events)) in (0u64..).zip(txs) {
        for (source, event) in events {
            let seq = chain.len() as u64;
            let record = Record {
                tx,
                recorded_at: T0 + tx as i64 * SECOND,
                clock: ClockNote::Overridden,
                actor: actor.into(),
                effective: None,
                source,
                event,
            };
            let subject = state.subject_of(&record.event, |earlier| {
                chain.get(earlier as usize).map(|e| e.subject)
            });
            let sealed = codec::encode_record(&record, &mut salt).expect("the records encode");
            let texts = codec::decode_texts(sealed.texts.as_deref()).expect("the texts decode");
            let hash =
                chain::event_hash(&prev, seq, subject, &chain::record_digest(&sealed.record));
            if let Event::Redacted {
                event: target,
                slots,
                reason,
            } = &record.event
            {
                let erasure = Erasure {
                    by_seq: seq,
                    recorded_at: record.recorded_at,
                    actor: actor.into(),
                    reason: reason.clone(),
                };
                let redacted = &mut chain[*target as usize];
                for &slot in slots {
                    redacted.texts[slot as usize] = StoredText::Erased { by: seq };
                }
                let bytes = codec::decode_sealed(&redacted.bytes).expect("the record decodes");
                redacted.record =
                    sealed::unseal(bytes, redacted.texts.clone(), |_, _| Some(erasure.clone()))
                        .expect("the texts fit");
            }
            state.apply(seq, hash, &record);
            chain.push(StoredEvent {
                seq,
                prev,
                hash,
                subject,
                bytes: sealed.record,
                texts,
                record,
            });
            prev = hash;
        }
    }
    chain
}

const P1: PlanId = PlanId::of(1);
const P2: PlanId = PlanId::of(2);
const A1: ActionId = ActionId::of(1);
const A2: ActionId = ActionId::of(2);

/// The words of plan P2, which no pack of P1 may hold.
const P2_WORDS: [&str; 4] = [
    "Cherwell",
    "Bob's GP to review his referrals",
    "Bob's case conference held",
    "Bob's review started",
];

/// The redacted words, which no pack may hold.
const ERASED: &str = "Jane Doe";

/// Two plans: P1 (imported, with a source, a warning, a milestone whose
/// words were redacted, a claim) and P2 (one action, a milestone and a
/// status change, the last event).
///
/// seq 0 genesis; 1 P1; 2 R1; 3 source; 4 A1; 5 warning on A1; 6 P2;
/// 7 A2; 8 note on A1; 9 note on A2; 10 claim on A1; 11 redaction of 8;
/// 12 A2 in progress.
fn two_plans() -> Vec<StoredEvent> {
    chain_of(two_plans_txs())
}

/// The transactions of [`two_plans`].
fn two_plans_txs() -> Vec<Tx> {
    let source = || {
        Some(SourceRef {
            import_seq: 3,
            locator: "THAMES VALLEY POLICE, row 1".into(),
        })
    };
    vec![
        (
            "Admin",
            vec![(
                None,
                Event::LedgerCreated {
                    ledger_id: [0x22; 16],
                    format_version: 2,
                },
            )],
        ),
        (
            "Assurance Lead",
            vec![
                (
                    None,
                    Event::PlanAdded {
                        plan: P1,
                        partnership: "West Oxfordshire CSP".into(),
                        review: "Alice".into(),
                        chair: Some("Independent Chair".into()),
                        published: FuzzyDate::month(2019, 10),
                    },
                ),
                (
                    None,
                    Event::RecommendationAdded {
                        plan: P1,
                        number: RecId::of(1),
                        text: "Record offences on NICHE.".into(),
                        scope: Some("Local".into()),
                    },
                ),
            ],
        ),
        (
            "Assurance Lead",
            vec![
                (
                    None,
                    Event::SourceImported {
                        name: "alice-plan.txt".into(),
                        size: 24457,
                        blake3: [0x33; 32],
                        format: "text".into(),
                    },
                ),
                (
                    source(),
                    Event::ActionAdded {
                        action: A1,
                        plan: P1,
                        agency: "Thames Valley Police".into(),
                        lead: Some("MARAC Co-ordinator".into()),
                        text: "Update Niche for MARAC referrals.".into(),
                        scope: None,
                        recommendations: vec![RecId::of(1)],
                        target: Some(Target {
                            text: "July 2019".into(),
                            date: FuzzyDate::month(2019, 7),
                        }),
                    },
                ),
                (
                    source(),
                    Event::ImportWarning {
                        action: Some(A1),
                        message: "the target reads as a month".into(),
                    },
                ),
            ],
        ),
        (
            "Assurance Lead",
            vec![
                (
                    None,
                    Event::PlanAdded {
                        plan: P2,
                        partnership: "Cherwell CSP".into(),
                        review: "Bob".into(),
                        chair: None,
                        published: None,
                    },
                ),
                (
                    None,
                    Event::ActionAdded {
                        action: A2,
                        plan: P2,
                        agency: "Oxford Health".into(),
                        lead: None,
                        text: P2_WORDS[1].into(),
                        scope: None,
                        recommendations: vec![],
                        target: None,
                    },
                ),
            ],
        ),
        (
            "Agency Lead",
            vec![(
                None,
                Event::MilestoneNoted {
                    action: A1,
                    note: format!("Agreed at MARAC with {ERASED}'s sister"),
                },
            )],
        ),
        (
            "Agency Lead",
            vec![(
                None,
                Event::MilestoneNoted {
                    action: A2,
                    note: P2_WORDS[2].into(),
                },
            )],
        ),
        (
            "Agency Lead",
            vec![(
                None,
                Event::CompletionClaimed {
                    action: A1,
                    claim: ClaimNo::of(1),
                    outcome: "Niche updated.".into(),
                    evidence: vec![Evidence {
                        name: "minutes.pdf".into(),
                        size: 1234,
                        blake3: [0x44; 32],
                    }],
                },
            )],
        ),
        (
            "Data Protection Officer",
            vec![(
                None,
                Event::Redacted {
                    event: 8,
                    slots: vec![0],
                    reason: "named a relative".into(),
                },
            )],
        ),
        (
            "Agency Lead",
            vec![(
                None,
                Event::StatusChanged {
                    action: A2,
                    from: Status::Open,
                    to: Status::InProgress,
                    reason: P2_WORDS[3].into(),
                },
            )],
        ),
    ]
}

fn pack_of(events: &[StoredEvent], scope: Scope, as_of: Option<Micros>) -> Vec<u8> {
    make(
        events,
        Request {
            scope,
            as_of,
            checkpoint: None,
        },
    )
    .expect("the pack is made")
}

fn lines(pack: &[u8]) -> Vec<Value> {
    std::str::from_utf8(pack)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// The sequence numbers of the disclosed event lines.
fn disclosed(pack: &[u8]) -> Vec<u64> {
    let lines = lines(pack);
    lines[1..lines.len() - 1]
        .iter()
        .filter(|l| l.get("record").is_some())
        .map(|l| l["seq"].as_u64().expect("a seq"))
        .collect()
}

#[test]
fn the_two_plan_chain_obeys_the_rules() {
    let chain = two_plans();
    let violations =
        rules::check_with_subjects(chain.iter().map(|e| (e.seq, e.hash, e.subject, &e.record)));
    assert_eq!(violations, vec![]);
    assert_eq!(chain.len(), 13);
}

/// The golden selective pack: plan P1 of the two-plan chain, as of its last
/// event. `tools/verify_export.py` checks it in CI, written from
/// `ledger/FORMAT.md` alone. A failure means the pack layout, the format or
/// the projection's shape (`show --json`'s) changed. The last is a new pack
/// version too: a pack made before it would fail step 5 of a later check
/// (regression: `show --json` gained `coverage` while packs were being
/// written, before any was handed over). Regenerate with
/// `PLANLEDGER_BLESS=1` only if the change was meant, and say in
/// `ledger/FORMAT.md` §7 what older packs hold.
#[test]
fn golden_pack_matches() {
    let produced = pack_of(&two_plans(), Scope::Plan(P1), None);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ledger/golden/pack.jsonl");
    if std::env::var_os("PLANLEDGER_BLESS").is_some() {
        std::fs::write(path, &produced).expect("the golden file is writable");
    }
    let committed = std::fs::read(path).expect("ledger/golden/pack.jsonl exists");
    assert!(
        committed == produced,
        "the golden pack changed (a changed projection shape is a new pack version):\n{}",
        String::from_utf8_lossy(&produced)
    );
    let report = verify(&committed).expect("the golden pack verifies");
    assert_eq!(report.scope, Scope::Plan(P1));
    assert_eq!(report.as_of.0, 11, "the redaction, P1's last event");
    assert_eq!(report.head.0, 12);
    assert_eq!((report.events, report.disclosed), (13, 9));
    assert_eq!(report.texts_redacted, 1);
    assert_eq!(report.in_scope_after_as_of, 0);
}

/// A pack made before the projection gained each action's `link` and the
/// coverage's lists of links (pack version 1) is still checked, in the
/// shape it was made in; a pack that says it is version 1 but holds the
/// later shape, or names a version to come, is not.
#[test]
fn a_pack_of_version_1_is_checked_in_its_own_shape() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ledger/golden/pack-v1.jsonl");
    let v1 = std::fs::read(path).expect("ledger/golden/pack-v1.jsonl exists");
    let report = verify(&v1).expect("the version-1 golden pack verifies");
    assert_eq!(report.scope, Scope::Plan(P1));
    let now = pack_of(&two_plans(), Scope::Plan(P1), None);
    assert!(String::from_utf8_lossy(&now).contains("\"pack_version\":2,"));
    let relabel = |version: &str| {
        String::from_utf8_lossy(&now)
            .replacen(
                "\"pack_version\":2,",
                &format!("\"pack_version\":{version},"),
                1,
            )
            .into_bytes()
    };
    assert!(
        matches!(
            verify(&relabel("1")),
            Err(PackFault::ProjectionDiffers { .. })
        ),
        "{:?}",
        verify(&relabel("1"))
    );
    assert!(
        matches!(verify(&relabel("3")), Err(PackFault::NoCheckpoint { .. })),
        "a version-3 pack ends with its checkpoint: {:?}",
        verify(&relabel("3"))
    );
    assert!(
        matches!(verify(&relabel("4")), Err(PackFault::BadField { .. })),
        "{:?}",
        verify(&relabel("4"))
    );
}

#[test]
fn a_plan_pack_discloses_its_plan_its_sources_and_redactions_and_no_other_plans_words() {
    let chain = two_plans();
    let pack = pack_of(&chain, Scope::Plan(P1), None);
    assert_eq!(disclosed(&pack), [0, 1, 2, 3, 4, 5, 8, 10, 11]);
    let text = String::from_utf8(pack.clone()).expect("UTF-8");
    for words in P2_WORDS.iter().chain([&ERASED]) {
        assert!(!text.contains(words), "{words:?} is in the pack");
    }
    let projection = &lines(&pack)[14]["projection"];
    assert_eq!(projection["plans"].as_array().map(Vec::len), Some(1));
    assert_eq!(projection["plans"][0]["id"], "P1");
    assert_eq!(
        projection["plans"][0]["actions"][0]["milestones"][0]["note"],
        "redacted on 2020-09-13 by Data Protection Officer: named a relative"
    );
    assert_eq!(projection["head"]["seq"], 11);
    assert_eq!(projection["as_of_day"], "2020-09-13");
}

#[test]
fn a_pack_of_the_other_plan_withholds_the_first_plans_source_and_redaction() {
    let chain = two_plans();
    let pack = pack_of(&chain, Scope::Plan(P2), None);
    assert_eq!(disclosed(&pack), [0, 6, 7, 9, 12]);
    let report = verify(&pack).expect("it verifies");
    assert_eq!(report.as_of.0, 12);
    let text = String::from_utf8(pack).expect("UTF-8");
    assert!(!text.contains("Niche"));
}

#[test]
fn an_action_pack_discloses_the_action_and_its_plans_own_events() {
    let chain = two_plans();
    let pack = pack_of(
        &chain,
        Scope::Action {
            plan: P1,
            action: A1,
        },
        None,
    );
    assert_eq!(disclosed(&pack), [0, 1, 2, 3, 4, 5, 8, 10, 11]);
    let pack = pack_of(
        &chain,
        Scope::Action {
            plan: P2,
            action: A2,
        },
        None,
    );
    assert_eq!(disclosed(&pack), [0, 6, 7, 9, 12]);
}

#[test]
fn a_ledger_pack_discloses_everything_and_replays_the_rules() {
    let chain = two_plans();
    let pack = pack_of(&chain, Scope::Ledger, None);
    assert_eq!(disclosed(&pack), (0..13).collect::<Vec<_>>());
    let report = verify(&pack).expect("it verifies");
    assert_eq!(report.disclosed, 13);
    let projection = &lines(&pack)[14]["projection"];
    assert_eq!(projection["plans"].as_array().map(Vec::len), Some(2));
}

#[test]
fn an_as_of_pack_folds_up_to_the_last_event_in_scope_then_and_discloses_later_redactions() {
    let chain = two_plans();
    // Just after the note on A2 (seq 9): P1's last event by then is seq 8,
    // whose words were erased later, by seq 11, which the pack discloses.
    let pack = pack_of(&chain, Scope::Plan(P1), Some(T0 + 5 * SECOND));
    assert_eq!(disclosed(&pack), [0, 1, 2, 3, 4, 5, 8, 11]);
    let report = verify(&pack).expect("it verifies");
    assert_eq!(report.as_of.0, 8);
    assert_eq!(report.in_scope_after_as_of, 1, "the claim, seq 10");
    let projection = &lines(&pack)[14]["projection"];
    assert_eq!(projection["plans"][0]["actions"][0]["status"], "open");
    assert_eq!(projection["head"]["seq"], 8);
    // A ledger pack as of then leaves out everything after seq 9 but the
    // redaction of a disclosed event.
    let pack = pack_of(&chain, Scope::Ledger, Some(T0 + 5 * SECOND));
    assert_eq!(disclosed(&pack), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    verify(&pack).expect("it verifies");
}

#[test]
fn a_pack_before_the_ledger_existed_is_refused() {
    let chain = two_plans();
    let refused = make(
        &chain,
        Request {
            scope: Scope::Ledger,
            as_of: Some(T0 - 1),
            checkpoint: None,
        },
    );
    assert!(matches!(refused, Err(MakeError::BeforeLedger { .. })));
    assert!(matches!(
        make(
            &chain,
            Request {
                scope: Scope::Action {
                    plan: P2,
                    action: A1
                },
                as_of: None,
                checkpoint: None,
            }
        ),
        Err(MakeError::ActionElsewhere { .. })
    ));
    assert!(matches!(
        make(
            &[],
            Request {
                scope: Scope::Ledger,
                as_of: None,
                checkpoint: None,
            }
        ),
        Err(MakeError::Empty)
    ));
}

/// §7 describes the canonical form in words, for a verifier in another
/// language; this pins those words to what `serde_json` writes.
#[test]
fn the_canonical_form_is_what_format_md_describes() {
    let value = json!({
        "b": [1, -2, true, null],
        "a": {"z": "x", "y": ""},
        "é": 0,
        "A": u64::MAX,
    });
    let mut out = Vec::new();
    canonical(&value, &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        r#"{"A":18446744073709551615,"a":{"y":"","z":"x"},"b":[1,-2,true,null],"é":0}"#
    );
    let words = "\"\\/\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}é\u{2028}😀";
    let mut out = Vec::new();
    canonical(&Value::String(words.into()), &mut out);
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "\"\\\"\\\\/\\n\\r\\t\\b\\f\\u0000\\u001f\u{7f}é\u{2028}😀\""
    );
    // And that form is serde_json's own, sorted keys and all.
    assert_eq!(serde_json::to_vec(&value).expect("serializes"), {
        let mut out = Vec::new();
        canonical(&value, &mut out);
        out
    });
}

#[test]
fn a_pack_that_parses_but_is_not_canonical_is_refused_where_it_differs() {
    let pack = pack_of(&two_plans(), Scope::Plan(P1), None);
    let text = String::from_utf8(pack).expect("UTF-8");
    let spaced = text.replacen("{\"as_of\":{", "{\"as_of\": {", 1);
    assert_eq!(
        verify(spaced.as_bytes()),
        Err(PackFault::NotCanonical { line: 1, byte: 10 })
    );
    let escaped = text.replacen("Alice", "\\u0041lice", 1);
    assert!(matches!(
        verify(escaped.as_bytes()),
        Err(PackFault::NotCanonical { .. })
    ));
}

#[test]
fn the_disclosure_rule_follows_sources_and_redactions() {
    let chain = two_plans();
    let mut subjects = Subjects::default();
    for e in &chain {
        subjects.push(e.subject);
    }
    let redactions = redactions_of(chain.iter().map(|e| (e.seq, &e.record)));
    let why = required(
        &subjects,
        Scope::Plan(P1),
        11,
        |seq| {
            chain[seq as usize]
                .record
                .source
                .as_ref()
                .map(|s| s.import_seq)
        },
        &redactions,
    );
    assert_eq!(why[0], Some(Required::Genesis));
    assert_eq!(why[3], Some(Required::SourceOf(5)));
    assert_eq!(
        why[8],
        Some(Required::InScope(Subject {
            plan: Some(P1),
            action: Some(A1)
        }))
    );
    assert_eq!(why[6], None);
    // As of seq 9, the redaction (seq 11) is required by what it redacts.
    let why = required(
        &subjects,
        Scope::Plan(P1),
        9,
        |seq| {
            chain[seq as usize]
                .record
                .source
                .as_ref()
                .map(|s| s.import_seq)
        },
        &redactions,
    );
    assert_eq!(why[11], Some(Required::Redacts(8)));
    assert_eq!(why[10], None);
}

/// Every redaction among `records`, by the event it redacts.
fn redactions_of<'a, T: 'a>(
    records: impl Iterator<Item = (u64, &'a RecordOf<T>)>,
) -> BTreeMap<u64, Vec<u64>> {
    let mut found: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (seq, record) in records {
        if let EventOf::Redacted { event, .. } = &record.event {
            found.entry(*event).or_default().push(seq);
        }
    }
    found
}

/// The check with every line "long" (passed over by the form pass, the
/// projection checked only as it is compared) gives the verdict the
/// ordinary check gives: on good packs of every scope, and on each pack
/// with one byte of any line changed, a line's spacing changed, or its
/// projection renamed.
#[test]
fn a_check_passing_over_long_lines_gives_the_same_verdict() {
    let chain = two_plans();
    let packs = [
        pack_of(&chain, Scope::Ledger, None),
        pack_of(&chain, Scope::Plan(P1), None),
        pack_of(&chain, Scope::Plan(P2), None),
    ];
    let verdict = |bytes: &[u8], long_line: usize| -> String {
        match check::check_within(&mut source::Bytes::new(bytes), long_line) {
            Ok(report) => format!("{report:?}"),
            Err(Stop::Fault(fault)) => format!("{fault:?}"),
            Err(Stop::Read(never)) => match never {},
        }
    };
    let mut checked = 0;
    for pack in &packs {
        let mut variants = vec![pack.clone()];
        let starts: Vec<usize> = std::iter::once(0)
            .chain(
                pack.iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(at, _)| at + 1),
            )
            .filter(|at| *at < pack.len())
            .collect();
        for &start in &starts {
            for shift in [2, 40] {
                let mut changed = pack.clone();
                if let Some(byte) = changed.get_mut(start + shift) {
                    *byte ^= 0x01;
                }
                variants.push(changed);
            }
            let mut spaced = pack.clone();
            spaced.insert(start + 1, b' ');
            variants.push(spaced);
        }
        let text = String::from_utf8(pack.clone()).expect("UTF-8");
        variants.push(
            text.replace("{\"projection\":", "{\"projected\":")
                .into_bytes(),
        );
        for variant in &variants {
            let ordinary = verdict(variant, LONG);
            assert_eq!(ordinary, verdict(variant, 1));
            assert_eq!(ordinary, file_verdict(variant, 1));
            checked += 1;
        }
        assert!(
            verdict(pack, 1).starts_with("PackReport"),
            "{}",
            verdict(pack, 1)
        );
    }
    assert!(checked > 30, "{checked} variants");
}

const LONG: usize = 16 << 20;

/// The check's verdict on `bytes` read from a file, lines longer than
/// `long_line` passed over.
fn file_verdict(bytes: &[u8], long_line: usize) -> String {
    use std::io::{Seek, Write};
    let mut file = tempfile::tempfile().expect("a temporary file");
    file.write_all(bytes).expect("written");
    file.rewind().expect("rewound");
    match check::check_within(&mut source::FileSource::new(file), long_line) {
        Ok(report) => format!("{report:?}"),
        Err(Stop::Fault(fault)) => format!("{fault:?}"),
        Err(Stop::Read(error)) => format!("read: {error}"),
    }
}

/// The projection line as the maker writes it and the check compares it,
/// an action at a time, is byte for byte the canonical form of the whole
/// projection value, in every pack version's shape: for plans of one
/// action and of several, with the words of milestones read back.
#[test]
fn the_projection_written_an_action_at_a_time_is_the_canonical_value() {
    let mut txs = two_plans_txs();
    txs.push((
        "Assurance Lead",
        vec![
            (
                None,
                Event::ActionAdded {
                    action: ActionId::of(3),
                    plan: P1,
                    agency: "Oxford Health".into(),
                    lead: None,
                    text: "Train staff in routine enquiry.".into(),
                    scope: None,
                    recommendations: vec![RecId::of(1)],
                    target: None,
                },
            ),
            (
                None,
                Event::MilestoneNoted {
                    action: ActionId::of(3),
                    note: "First session held".into(),
                },
            ),
        ],
    ));
    let chain = chain_of(txs);
    let mut state = State::default();
    for event in &chain {
        state.apply(event.seq, event.hash, &event.record);
    }
    assert_eq!(
        state.actions.values().filter(|a| a.plan == P1).count(),
        2,
        "P1 has two actions, so the line has a comma between actions"
    );
    let recall: BTreeMap<u64, Record> = chain.iter().map(|e| (e.seq, e.record.clone())).collect();
    let day = NaiveDate::from_ymd_opt(2020, 9, 14).expect("a day");
    for version in 1..=3 {
        let mut streamed = Vec::new();
        write_projection_line(&state, &recall, day, version, &mut streamed)
            .expect("the line is written");
        let whole = projection(state.clone(), &recall, Scope::Ledger, day, version)
            .expect("the value is made");
        let mut expected = b"{\"projection\":".to_vec();
        canonical(&whole, &mut expected);
        expected.push(b'}');
        assert_eq!(
            String::from_utf8_lossy(&streamed),
            String::from_utf8_lossy(&expected),
            "pack version {version}"
        );
        let note = "First session held";
        assert!(String::from_utf8_lossy(&streamed).contains(note));
        let linked = String::from_utf8_lossy(&streamed).contains("\"link\":");
        assert_eq!(linked, version >= 2, "version {version} shows links or not");
    }
}
