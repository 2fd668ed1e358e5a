//! Signed requests, actors and roles (issue 10): every refusal writes
//! nothing, returns made without the ledger apply later or are refused
//! with the reason, rotation and revocation leave earlier history valid,
//! and a forger holding the files but not the keys is caught.

use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use planledger::codec;
use planledger::command::Command;
use planledger::event::{Event, Role, TxRecord};
use planledger::id::{ActionId, PlanId, RecId};
use planledger::ledger::{Ledger, LedgerError, Stamped};
use planledger::request::{RequestFault, RequestHead, SignedRequest};
use planledger::rules::Refusal;
use planledger::store::chain_check::ProblemKind;
use planledger::time::FixedClock;
use tempfile::TempDir;

use crate::support::{
    Held, Trees, add_action, add_plan, assert_histories_match_the_full_fold, hash_of_value,
    open_ledger, open_store, record_at, start_time, stored_value, tamper_trees, verify_dir,
};

const ADMIN: &str = "Sam Okafor";
const POLICE: &str = "Jo Bloggs";
const HEALTH: &str = "Ann Lee";

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn public(key: &SigningKey) -> [u8; 32] {
    key.verifying_key().to_bytes()
}

/// A ledger signed from its genesis by the admin (also assurance), with a
/// plan, two actions (A1 Thames Valley Police, A2 Oxford Health) and an
/// agency actor for each.
struct Signed {
    dir: TempDir,
    clock: Arc<FixedClock>,
    ledger: Option<Held<Ledger>>,
    admin: SigningKey,
    police: SigningKey,
    health: SigningKey,
}

impl Signed {
    fn new() -> Signed {
        let dir = TempDir::new().expect("a temporary directory");
        let clock = Arc::new(FixedClock::new(start_time()));
        let admin = key(1);
        let police = key(2);
        let health = key(3);
        let ledger = Ledger::init_signed(
            &dir.path().join("l"),
            &admin,
            ADMIN,
            vec![Role::Assurance],
            clock.clone(),
            planledger::store::LockWait::moment(),
        )
        .expect("a signed ledger");
        let mut signed = Signed {
            ledger: Some(Held::new(ledger, dir.path().join("l").join("sled"))),
            dir,
            clock,
            admin,
            police,
            health,
        };
        let admin = signed.admin.clone();
        signed
            .write(
                &admin,
                vec![
                    add_plan(),
                    Command::AddRecommendation {
                        plan: PlanId::of(1),
                        number: None,
                        text: "Agencies train staff".into(),
                        scope: None,
                    },
                    add_action(1, "Thames Valley Police"),
                    add_action(1, "Oxford Health"),
                    Command::AddActor {
                        name: POLICE.into(),
                        roles: vec![Role::Agency("Thames Valley Police".into())],
                        key: public(&signed.police),
                    },
                    Command::AddActor {
                        name: HEALTH.into(),
                        roles: vec![Role::Agency("oxford  health".into())],
                        key: public(&signed.health),
                    },
                ],
            )
            .expect("the admin sets up the plan and the agency actors");
        signed
    }

    fn dir(&self) -> std::path::PathBuf {
        self.dir.path().join("l")
    }

    fn ledger(&mut self) -> &mut Ledger {
        if self.ledger.is_none() {
            self.ledger = Some(open_ledger(&self.dir(), self.clock.clone()));
        }
        self.ledger.as_mut().expect("opened above")
    }

    fn close(&mut self) {
        self.ledger = None;
    }

    fn write(&mut self, key: &SigningKey, commands: Vec<Command>) -> Result<u64, LedgerError> {
        self.clock.advance_secs(60);
        let stamped = commands.into_iter().map(Stamped::from).collect();
        let receipt = self.ledger().transact_signed(key, "test", stamped)?;
        Ok(receipt.events[0].seq)
    }

    fn head(&mut self) -> u64 {
        self.ledger().next_seq()
    }

    fn ledger_id(&mut self) -> [u8; 16] {
        self.ledger().state().ledger.as_ref().expect("a genesis").id
    }
}

/// A request made and signed away from the ledger, as `planledger
/// request` makes one: one command, signed as `signer`.
fn request_of(
    key: &SigningKey,
    ledger_id: [u8; 16],
    head_seen: Option<(u64, [u8; 32])>,
    signer: &str,
    command: Command,
) -> SignedRequest {
    SignedRequest::sign(
        key,
        RequestHead {
            ledger_id,
            head_seen,
            signer: signer.into(),
            made_at: start_time(),
        },
        vec![Stamped::from(command)],
    )
    .expect("signed")
}

fn note(action: u32, text: &str) -> Command {
    Command::NoteMilestone {
        action: ActionId::of(action),
        note: text.into(),
    }
}

/// `command` is refused with `expected`, and the ledger is exactly as it
/// was: same head, same events.
fn refused(
    signed: &mut Signed,
    key: &SigningKey,
    command: Command,
    expected: impl Fn(&Refusal) -> bool,
) {
    let before = signed.ledger().events().expect("events").len();
    match signed.write(key, vec![command]) {
        Err(LedgerError::Refused(refusal)) if expected(&refusal) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(signed.ledger().events().expect("events").len(), before);
    signed.close();
    assert!(verify_dir(&signed.dir()).ok());
}

#[test]
fn a_signed_ledger_verifies_and_says_who_signed() {
    let mut signed = Signed::new();
    let police = signed.police.clone();
    signed
        .write(&police, vec![note(1, "First cohort trained")])
        .expect("the police note their own action");
    let state = signed.ledger().state().clone();
    assert_eq!(state.actors.len(), 3);
    assert_eq!(
        state.actors[POLICE].roles,
        vec![Role::Agency("Thames Valley Police".into())]
    );
    let last = signed
        .ledger()
        .events()
        .expect("events")
        .pop()
        .expect("an event");
    assert_eq!(last.record.actor, POLICE, "the event names the signer");
    signed.close();
    let report = verify_dir(&signed.dir());
    assert!(report.ok(), "{:?}", report.problems);
}

#[test]
fn an_agency_changes_only_its_own_actions() {
    let mut signed = Signed::new();
    let police = signed.police.clone();
    refused(
        &mut signed,
        &police,
        note(2, "Not ours"),
        |r| matches!(r, Refusal::OtherAgency { agency, .. } if agency == "Oxford Health"),
    );
    // The role's agency is matched as people write it.
    let health = signed.health.clone();
    signed
        .write(&health, vec![note(2, "Audit begun")])
        .expect("Oxford Health notes A2");
}

#[test]
fn each_role_is_kept_to_its_changes() {
    let mut signed = Signed::new();
    let police = signed.police.clone();
    signed
        .write(
            &police,
            vec![Command::Claim {
                action: ActionId::of(1),
                outcome: "Trained".into(),
                evidence: vec![],
            }],
        )
        .expect("an agency claims");
    refused(
        &mut signed,
        &police,
        Command::Accept {
            action: ActionId::of(1),
            finding: "Fine".into(),
        },
        |r| {
            matches!(
                r,
                Refusal::NotPermitted {
                    needs: "assurance",
                    ..
                }
            )
        },
    );
    refused(
        &mut signed,
        &police,
        Command::AddActor {
            name: "Mallory".into(),
            roles: vec![Role::Admin],
            key: public(&key(9)),
        },
        |r| matches!(r, Refusal::NotPermitted { needs: "admin", .. }),
    );
    refused(
        &mut signed,
        &police,
        Command::Redact {
            event: 3,
            slots: vec![0],
            reason: "a name".into(),
        },
        |r| matches!(r, Refusal::NotPermitted { needs: "admin", .. }),
    );
    // The identity point: a key of small order, which nobody's signature
    // can be told apart under.
    let mut weak = [0u8; 32];
    weak[0] = 1;
    let admin = signed.admin.clone();
    refused(
        &mut signed,
        &admin,
        Command::AddActor {
            name: "Weak".into(),
            roles: vec![Role::Auditor],
            key: weak,
        },
        |r| matches!(r, Refusal::BadKey),
    );
    signed
        .write(
            &admin,
            vec![Command::Accept {
                action: ActionId::of(1),
                finding: "Evidence seen".into(),
            }],
        )
        .expect("the assurance lead accepts");
}

#[test]
fn an_unsigned_change_to_a_signed_ledger_is_refused() {
    let mut signed = Signed::new();
    let before = signed.ledger().events().expect("events").len();
    let result = signed
        .ledger()
        .transact("Anyone", "note", vec![Stamped::from(note(1, "x"))]);
    assert!(
        matches!(result, Err(LedgerError::Refused(Refusal::Unsigned))),
        "{result:?}"
    );
    assert_eq!(signed.ledger().events().expect("events").len(), before);
}

#[test]
fn a_key_no_actor_holds_is_refused() {
    let mut signed = Signed::new();
    let stranger = key(7);
    let before = signed.ledger().events().expect("events").len();
    let result = signed.write(&stranger, vec![note(1, "x")]);
    assert!(
        matches!(
            result,
            Err(LedgerError::Refused(Refusal::UnknownKey { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(signed.ledger().events().expect("events").len(), before);
}

#[test]
fn rotation_and_revocation_leave_earlier_history_valid() {
    let mut signed = Signed::new();
    let (admin, police) = (signed.admin.clone(), signed.police.clone());
    signed
        .write(&police, vec![note(1, "Before the new key")])
        .expect("signed with the first key");
    let new_police = key(12);
    signed
        .write(
            &police,
            vec![Command::RotateKey {
                name: POLICE.into(),
                key: public(&new_police),
            }],
        )
        .expect("an actor rotates their own key");
    refused(&mut signed, &police, note(1, "With the old key"), |r| {
        matches!(r, Refusal::RotatedKey { .. })
    });
    signed
        .write(&new_police, vec![note(1, "With the new key")])
        .expect("the new key signs");
    signed
        .write(
            &admin,
            vec![Command::RevokeActor {
                name: POLICE.into(),
                reason: "left the force".into(),
            }],
        )
        .expect("the admin revokes");
    refused(&mut signed, &new_police, note(1, "After leaving"), |r| {
        matches!(r, Refusal::RevokedSigner { .. })
    });
    // The last admin cannot be revoked: nobody could manage actors after.
    refused(
        &mut signed,
        &admin,
        Command::RevokeActor {
            name: ADMIN.into(),
            reason: "testing".into(),
        },
        |r| matches!(r, Refusal::LastAdmin { .. }),
    );
    signed.close();
    let report = verify_dir(&signed.dir());
    assert!(
        report.ok(),
        "everything signed before stays valid: {:?}",
        report.problems
    );
}

#[test]
fn a_return_made_without_the_ledger_applies_after_other_changes() {
    let mut signed = Signed::new();
    let ledger_id = signed.ledger_id();
    let police = signed.police.clone();
    // Made on the agency's own machine: no head seen.
    let made = request_of(
        &police,
        ledger_id,
        None,
        POLICE,
        Command::Claim {
            action: ActionId::of(1),
            outcome: "All trained".into(),
            evidence: vec![],
        },
    );
    let file = made.to_return();
    let admin = signed.admin.clone();
    signed
        .write(&admin, vec![note(2, "Meanwhile, elsewhere")])
        .expect("another change first");
    let read = SignedRequest::from_return(file.as_bytes()).expect("the file reads");
    let dry = signed.ledger().dry_run_request(&read).expect("a dry run");
    assert_eq!(dry.len(), 2, "the request and its claim");
    let receipt = signed
        .ledger()
        .apply_request(&read, "apply")
        .expect("applied");
    assert_eq!(
        receipt.events[1].record.actor, POLICE,
        "the agency's signature, not the operator's word"
    );
    assert!(matches!(
        signed.ledger().apply_request(&read, "again"),
        Err(LedgerError::Refused(Refusal::Replayed { .. }))
    ));
    signed.close();
    assert!(verify_dir(&signed.dir()).ok());
    // History read through the action index says who signed, and that the
    // claim was a return, as the full fold does.
    assert_eq!(
        assert_histories_match_the_full_fold(&open_store(&signed.dir())),
        2
    );
}

#[test]
fn a_return_that_conflicts_with_a_later_change_is_refused_with_the_reason() {
    let mut signed = Signed::new();
    let ledger_id = signed.ledger_id();
    let (admin, police) = (signed.admin.clone(), signed.police.clone());
    let made = request_of(
        &police,
        ledger_id,
        None,
        POLICE,
        Command::Claim {
            action: ActionId::of(1),
            outcome: "All trained".into(),
            evidence: vec![],
        },
    );
    signed
        .write(
            &admin,
            vec![Command::Withdraw {
                action: ActionId::of(1),
                reason: "superseded".into(),
            }],
        )
        .expect("withdrawn meanwhile");
    let before = signed.ledger().events().expect("events").len();
    let result = signed.ledger().apply_request(&made, "apply");
    assert!(
        matches!(
            result,
            Err(LedgerError::Refused(Refusal::IllegalTransition { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(signed.ledger().events().expect("events").len(), before);
}

#[test]
fn a_request_for_another_ledger_or_with_a_bad_signature_is_refused() {
    let mut signed = Signed::new();
    let police = signed.police.clone();
    let other = request_of(&police, [9; 16], None, POLICE, note(1, "x"));
    assert!(matches!(
        signed.ledger().apply_request(&other, "apply"),
        Err(LedgerError::Refused(Refusal::OtherLedger { .. }))
    ));
    let ledger_id = signed.ledger_id();
    let mut forged = request_of(&police, ledger_id, None, POLICE, note(1, "x"));
    forged.signature.s[5] ^= 1;
    assert!(matches!(
        SignedRequest::from_return(forged.to_return().as_bytes()),
        Err(RequestFault::BadSignature)
    ));
    let before = signed.ledger().events().expect("events").len();
    assert!(matches!(
        signed.ledger().apply_request(&forged, "apply"),
        Err(LedgerError::Refused(Refusal::BadSignature { .. }))
    ));
    // Signed as someone else's name with one's own key.
    let posing = request_of(&police, ledger_id, None, ADMIN, note(1, "x"));
    assert!(matches!(
        signed.ledger().apply_request(&posing, "apply"),
        Err(LedgerError::Refused(Refusal::SignerName { .. }))
    ));
    assert_eq!(signed.ledger().events().expect("events").len(), before);
}

#[test]
fn a_request_made_against_another_history_is_refused() {
    let mut signed = Signed::new();
    let ledger_id = signed.ledger_id();
    let head = signed.head() - 1;
    let police = signed.police.clone();
    let made = request_of(
        &police,
        ledger_id,
        Some((head, [0xAB; 32])),
        POLICE,
        note(1, "x"),
    );
    assert!(matches!(
        signed.ledger().apply_request(&made, "apply"),
        Err(LedgerError::OtherHistory { seq }) if seq == head
    ));
}

#[test]
fn an_unsigned_ledger_adopts_keys_and_keeps_its_history() {
    let dir = TempDir::new().expect("a temporary directory");
    let clock = Arc::new(FixedClock::new(start_time()));
    let path = dir.path().join("l");
    let mut ledger = Ledger::init(&path, "Typed Name", clock.clone()).expect("an unsigned ledger");
    ledger
        .transact("Typed Name", "plan", vec![Stamped::from(add_plan())])
        .expect("an unsigned change");
    let admin = key(1);
    // Adding someone else as the first actor, or not as admin, is refused.
    let stranger = ledger.transact_signed(
        &admin,
        "actor add",
        vec![Stamped::from(Command::AddActor {
            name: ADMIN.into(),
            roles: vec![Role::Assurance],
            key: public(&admin),
        })],
    );
    assert!(
        matches!(stranger, Err(LedgerError::Refused(Refusal::FirstActor))),
        "{stranger:?}"
    );
    ledger
        .transact_signed(
            &admin,
            "actor add",
            vec![Stamped::from(Command::AddActor {
                name: ADMIN.into(),
                roles: vec![Role::Admin, Role::Assurance],
                key: public(&admin),
            })],
        )
        .expect("the first admin adopts keys");
    assert!(matches!(
        ledger.transact(
            "Typed Name",
            "note",
            vec![Stamped::from(Command::AddRecommendation {
                plan: PlanId::of(1),
                number: Some(RecId::of(1)),
                text: "x".into(),
                scope: None
            })]
        ),
        Err(LedgerError::Refused(Refusal::Unsigned))
    ));
    drop(Held::new(ledger, path.join("sled")));
    assert!(verify_dir(&path).ok());
}

/// A ledger whose last transaction is the police's signed claim; returns
/// it and the seq of the claim's `RequestSigned`.
fn with_signed_claim(later: bool) -> (Signed, u64) {
    let mut signed = Signed::new();
    let police = signed.police.clone();
    let at = signed
        .write(
            &police,
            vec![Command::Claim {
                action: ActionId::of(1),
                outcome: "All 40 officers trained".into(),
                evidence: vec![],
            }],
        )
        .expect("claimed");
    if later {
        let admin = signed.admin.clone();
        signed
            .write(&admin, vec![note(2, "Later entry")])
            .expect("a later change");
    }
    signed.close();
    (signed, at)
}

/// Rewrites the claim's outcome (seq `at + 1`) to new words and, keeping
/// every rule, re-seals it, re-chains every later event and fixes the
/// transaction index and head; with `request`, also makes the request at
/// `at` commit to the new words.
fn forge_claim(dir: &Path, at: u64, request: bool) {
    tamper_trees(dir, |trees| {
        let claim = at + 1;
        let mut record = record_at(trees, claim);
        match &mut record.event {
            Event::CompletionClaimed { outcome, .. } => {
                *outcome = "All 400 officers trained".into()
            }
            other => panic!("seq {claim} is the claim, not {other:?}"),
        }
        rechain_from(trees, claim, Some(record));
        if request {
            let sealed = planledger::codec::decode_sealed(
                &stored_value(&trees.events, claim)[planledger::chain::STORED_PREFIX..],
            )
            .expect("decodes");
            let commit = *sealed.event.texts()[0];
            let mut request_record = record_at(trees, at);
            match &mut request_record.event {
                Event::RequestSigned { request, .. } => {
                    let mut decoded = planledger::request::decode(request).expect("a request");
                    match &mut decoded.commands[0].command {
                        planledger::ask::CommandOf::Claim { outcome, .. } => *outcome = commit,
                        other => panic!("the request asks for a claim, not {other:?}"),
                    }
                    *request = codec::encode(&decoded).expect("encodes");
                }
                other => panic!("seq {at} is the request, not {other:?}"),
            }
            rechain_from(trees, at, Some(request_record));
        }
    });
}

/// A forger with the files, not the keys, rewrites a signed claim's
/// outcome, keeping the chain, the index and the head whole: verify finds
/// the texts are not those the request signed, and that a later request
/// saw a different history.
#[test]
fn a_forger_who_rewrites_signed_words_is_caught() {
    let (signed, at) = with_signed_claim(true);
    forge_claim(&signed.dir(), at, false);
    let report = verify_dir(&signed.dir());
    let kinds: Vec<&ProblemKind> = report.problems.iter().map(|p| &p.kind).collect();
    assert!(
        kinds
            .iter()
            .any(|k| matches!(k, ProblemKind::RequestTextsDiffer { request } if *request == at)),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(
            |k| matches!(k, ProblemKind::RequestSawOtherHistory { seen, .. } if *seen == at + 1)
        ),
        "the admin's later request saw the claim as it was: {kinds:?}"
    );
    assert!(
        !kinds.iter().any(|k| matches!(
            k,
            ProblemKind::HashMismatch { .. } | ProblemKind::HeadHashMismatch { .. }
        )),
        "the forger kept the chain whole: {kinds:?}"
    );
}

/// The forger also makes the request commit to the new words: now the
/// texts agree, and only the signature, which needs the agency's private
/// key, gives it away.
#[test]
fn a_forger_who_rewrites_the_request_too_breaks_its_signature() {
    let (signed, at) = with_signed_claim(false);
    forge_claim(&signed.dir(), at, true);
    let report = verify_dir(&signed.dir());
    assert!(
        report.problems.iter().any(|p| p.seq == at
            && matches!(
                &p.kind,
                ProblemKind::BrokenRule {
                    refusal: Refusal::BadSignature { .. }
                }
            )),
        "{:?}",
        report.problems
    );
}

/// Re-seals `record` (if given) at `from` keeping its texts' salts where
/// the words are unchanged, then recomputes the hash of every event from
/// there to the end, and fixes each transaction's head hash and the
/// stored head: a forger who knows FORMAT.md.
fn rechain_from(trees: &Trees, from: u64, record: Option<planledger::event::Record>) {
    use planledger::chain;
    let prev_of = |seq: u64| -> [u8; 32] {
        if seq == 0 {
            chain::GENESIS_PREV
        } else {
            hash_of_value(&stored_value(&trees.events, seq - 1))
        }
    };
    if let Some(record) = record {
        let old_texts =
            planledger::codec::decode_texts(trees.events.texts(from.to_be_bytes()).as_deref())
                .expect("texts decode");
        let mut salts = old_texts.iter().map(|t| match t {
            planledger::sealed::StoredText::Words { salt, .. } => *salt,
            planledger::sealed::StoredText::Erased { .. } => [0; 16],
        });
        let sealed =
            codec::encode_record(&record, || salts.next().unwrap_or([7; 16])).expect("encodes");
        let old = stored_value(&trees.events, from);
        let (_, subject, _) = chain::split_stored(&old).expect("a stored value");
        let value = chain::stored_value(&[0; 32], subject, &sealed.record);
        trees
            .events
            .insert(from.to_be_bytes(), value)
            .expect("writes");
        if let Some(texts) = sealed.texts {
            trees.events.set_texts(from.to_be_bytes(), Some(texts));
        }
    }
    let mut seq = from;
    let mut last = None;
    while let Some(old) = trees.events.get(seq.to_be_bytes()).expect("reads") {
        let (_, subject, bytes) = chain::split_stored(&old).expect("a stored value");
        let hash = chain::event_hash(&prev_of(seq), seq, subject, &chain::record_digest(bytes));
        let value = chain::stored_value(&hash, subject, bytes);
        trees
            .events
            .insert(seq.to_be_bytes(), value)
            .expect("writes");
        last = Some((seq, hash));
        seq += 1;
    }
    // Every transaction's head hash, and the stored head.
    for item in trees.txs.iter() {
        let (key, value) = item.expect("reads");
        let mut tx: TxRecord = codec::decode(&value).expect("a tx record");
        tx.head_hash = hash_of_value(&stored_value(&trees.events, tx.last_seq));
        trees
            .txs
            .insert(key, codec::encode(&tx).expect("encodes"))
            .expect("writes");
    }
    if let Some((seq, hash)) = last {
        let old = trees.meta.get(b"head").expect("reads").expect("a head");
        let mut head = old.to_vec();
        assert_eq!(
            u64::from_be_bytes(head[..8].try_into().expect("8 bytes")),
            seq
        );
        head[8..40].copy_from_slice(&hash);
        trees.meta.insert(b"head", head).expect("writes");
    }
}

#[test]
fn the_cli_signs_with_key_files_and_applies_a_return() {
    use crate::support::{planledger, run};
    let dir = TempDir::new().expect("a temporary directory");
    let ledger = dir.path().join("l");
    let key_file = |name: &str| {
        let path = dir.path().join(format!("{name}.pem"));
        let made = run(planledger(&ledger)
            .args(["key", "new", "--name", name, "-o"])
            .arg(&path));
        assert_eq!(made.code, 0, "{}", made.stderr);
        path
    };
    let (sam, jo) = (key_file("sam"), key_file("jo"));
    let pub_of = |path: &Path| path.with_extension("pem.pub");
    let ok = |args: &mut std::process::Command| {
        let out = run(args);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        out
    };
    ok(planledger(&ledger)
        .args(["--actor", ADMIN, "init", "--role", "assurance", "--key"])
        .arg(&sam));
    let plan = ok(planledger(&ledger).arg("--key").arg(&sam).args([
        "plan",
        "add",
        "--partnership",
        "CSP",
        "--review",
        "Alice",
    ]));
    assert!(plan.stdout.contains("recorded"), "{}", plan.stdout);
    ok(planledger(&ledger).arg("--key").arg(&sam).args([
        "action",
        "add",
        "--agency",
        "Thames Valley Police",
        "Train staff",
    ]));
    ok(planledger(&ledger)
        .arg("--key")
        .arg(&sam)
        .args([
            "actor",
            "add",
            POLICE,
            "--role",
            "agency:Thames Valley Police",
            "--public-key",
        ])
        .arg(pub_of(&jo)));
    let listed = ok(planledger(&ledger).args(["actor", "list"]));
    assert!(
        listed.stdout.contains(POLICE) && listed.stdout.contains("agency:Thames Valley Police"),
        "{}",
        listed.stdout
    );

    // Unsigned: refused in one line, nothing written.
    let unsigned = run(planledger(&ledger).args(["--actor", "X", "note", "A1", "x"]));
    assert_eq!(unsigned.code, 1);
    assert!(unsigned.stderr.contains("--key"), "{}", unsigned.stderr);
    assert_eq!(unsigned.stderr.lines().count(), 1, "{}", unsigned.stderr);

    let verify = ok(planledger(&ledger).arg("verify"));
    let id = verify
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("id"))
        .expect("verify prints the id")
        .trim()
        .to_string();
    let ret = dir.path().join("return.plreq");
    let made = ok(Process::new(env!("CARGO_BIN_EXE_planledger"))
        .env_remove("PLANLEDGER_LEDGER")
        .args(["--actor", POLICE, "--key"])
        .arg(&jo)
        .args([
            "request",
            "--ledger-id",
            &id,
            "claim",
            "A1",
            "--outcome",
            "All trained",
            "-o",
        ])
        .arg(&ret));
    assert!(made.stdout.contains("planledger apply"), "{}", made.stdout);
    let dry = ok(planledger(&ledger).arg("apply").arg(&ret).arg("--dry-run"));
    assert!(
        dry.stdout.contains("would record") && dry.stdout.contains("nothing was written"),
        "{}",
        dry.stdout
    );
    let applied = ok(planledger(&ledger).arg("apply").arg(&ret));
    assert!(
        applied.stdout.contains("claimed complete"),
        "{}",
        applied.stdout
    );
    let again = run(planledger(&ledger).arg("apply").arg(&ret));
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already carried out"),
        "{}",
        again.stderr
    );
    let audit = ok(planledger(&ledger).args(["audit", "--json"]));
    let entries: serde_json::Value = serde_json::from_str(&audit.stdout).expect("JSON");
    let entries = entries.as_array().expect("a list");
    let claim = entries.last().expect("the claim is the last change");
    assert_eq!(claim["actor"], POLICE, "{claim}");
    assert_eq!(claim["signed"]["return"], true, "{claim}");
    assert!(
        entries.iter().all(|e| e["signed"]["key"].is_string()),
        "signed from the genesis, every change shows its key"
    );
    let report = ok(planledger(&ledger).args(["export", "--format", "markdown"]));
    assert!(
        report.stdout.contains("- Signatures: ") && report.stdout.contains("1 sent as a return"),
        "{}",
        report.stdout
    );
    ok(planledger(&ledger).arg("verify"));

    // A checkpoint signed by the admin and witnessed by someone outside:
    // verify says which signer was an actor at that point.
    let outsider = key_file("chair");
    let board = dir.path().join("board.checkpoint");
    let witnessed = dir.path().join("board-witnessed.checkpoint");
    ok(planledger(&ledger)
        .arg("--key")
        .arg(&sam)
        .args(["checkpoint", "--name", ADMIN, "-o"])
        .arg(&board));
    ok(planledger(&ledger)
        .arg("--key")
        .arg(&outsider)
        .arg("witness")
        .arg(&board)
        .arg("-o")
        .arg(&witnessed));
    // An evidence pack made with a key carries a checkpoint of its head.
    let pack_file = dir.path().join("p1.pack");
    ok(planledger(&ledger)
        .arg("--key")
        .arg(&sam)
        .args(["export", "--format", "pack", "--plan", "P1", "-o"])
        .arg(&pack_file));
    let checked_pack = ok(planledger(&ledger).arg("verify-pack").arg(&pack_file));
    assert!(
        checked_pack
            .stdout
            .contains(&format!("checkpoint  signer {ADMIN} (key ")),
        "{}",
        checked_pack.stdout
    );
    let checked = ok(planledger(&ledger)
        .arg("verify")
        .arg("--checkpoint")
        .arg(&witnessed));
    assert!(
        checked
            .stdout
            .contains("an actor of this ledger then (admin, assurance)")
            && checked.stdout.contains("no actor's key in this ledger"),
        "{}",
        checked.stdout
    );
    let json = ok(planledger(&ledger)
        .args(["verify", "--json", "--checkpoint"])
        .arg(&witnessed));
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(json["ok"], true);
    assert_eq!(json["ledger_id"].as_str(), Some(id.as_str()));
    let held = &json["checkpoints"][0];
    assert_eq!(held["holds"], true, "{held}");
    assert_eq!(held["signatures"][0]["role"], "signer");
    assert_eq!(
        held["signatures"][0]["standing"],
        "an actor of this ledger then (admin, assurance)"
    );
    assert_eq!(held["signatures"][1]["role"], "witness");
}

use std::process::Command as Process;

/// A whole-ledger evidence pack is checked for what the request signed
/// too: a pack of the forged ledger above does not verify.
#[test]
fn a_whole_ledger_pack_of_rewritten_signed_words_does_not_verify() {
    let (signed, at) = with_signed_claim(false);
    forge_claim(&signed.dir(), at, false);
    let store = crate::support::open_store(&signed.dir());
    let events = store
        .events()
        .collect::<Result<Vec<_>, _>>()
        .expect("events");
    let made = planledger::pack::make(
        &events,
        planledger::pack::Request {
            scope: planledger::pack::Scope::Ledger,
            as_of: None,
            checkpoint: None,
        },
    );
    assert!(
        matches!(
            &made,
            Err(planledger::pack::MakeError::DoesNotVerify(
                planledger::pack::PackFault::BrokenRequest { seq, .. }
            )) if *seq == at
        ),
        "{made:?}"
    );
}

/// A request signed having seen an older head, applied after other
/// changes: verify looks that head up in the chain and finds it holds.
#[test]
fn a_request_that_saw_an_older_head_verifies_after_other_changes() {
    let mut signed = Signed::new();
    let police = signed.police.clone();
    let made = signed
        .ledger()
        .sign(
            &police,
            vec![Stamped::from(note(1, "Seen before the admin's note"))],
        )
        .expect("signed");
    assert!(made.request.head_seen.is_some());
    let admin = signed.admin.clone();
    signed
        .write(&admin, vec![note(2, "Meanwhile")])
        .expect("a change in between");
    signed
        .ledger()
        .apply_request(&made, "apply")
        .expect("still admissible");
    signed.close();
    let report = verify_dir(&signed.dir());
    assert!(report.ok(), "{:?}", report.problems);
}
